from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "jiandu.public"
    label = "public"
