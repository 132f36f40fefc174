"""What the generic layers (pages, API, import/export, generic tests) need to know of a model,
declared once per model by its app (e.g. houqin/org/specs.py)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelSpec:
    model: type
    form_class: type
    filterset_class: type
    slug: (
        str  # URL names: "<app>:<slug>_list", "_detail", "_add", "_edit", "_delete", "_import", "_export", "_template"
    )
    api_path: str  # /api/v1/<api_path>
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    # Sort keys the list page and API accept (?sort=name, ?sort=-code).
    sortable: tuple[str, ...] = ("code", "name")
    extra: dict = field(default_factory=dict)

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    def perm(self, action: str) -> str:
        return f"{self.app_label}.{action}_{self.model._meta.model_name}"

    def url_name(self, action: str) -> str:
        return f"{self.app_label}:{self.slug}_{action}"

    def queryset_for(self, user):
        qs = self.model.objects.for_user(user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs


_specs: dict[str, ModelSpec] = {}


def register_spec(spec: ModelSpec) -> ModelSpec:
    _specs[f"{spec.app_label}.{spec.slug}"] = spec
    return spec


def get_spec(app_label: str, slug: str) -> ModelSpec:
    return _specs[f"{app_label}.{slug}"]


def all_specs() -> list[ModelSpec]:
    return list(_specs.values())
