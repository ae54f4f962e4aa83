"""The source's side. No view here reads a client address, sets a cookie of its own, or lets a
page be cached."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tipline/landing.html")
