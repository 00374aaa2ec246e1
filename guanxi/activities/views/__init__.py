"""The pages of activities, the calendar, telesales and notifications."""
