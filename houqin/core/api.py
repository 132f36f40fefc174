from ninja import NinjaAPI


def build_api() -> NinjaAPI:
    return NinjaAPI(title="houqin API", version="1", urls_namespace="api")
