"""The public site, read by anyone, anonymous and cacheable."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html", {"cases": []})
