from django.apps import AppConfig


class TiplineConfig(AppConfig):
    name = "jiandu.tipline"
    label = "tipline"
