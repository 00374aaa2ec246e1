"""Sales: pipelines, opportunities, stage history, objections and the forecast."""
