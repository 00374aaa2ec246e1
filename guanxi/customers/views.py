from django.http import HttpResponse


def placeholder(request, pk):
    return HttpResponse("")
