import pytest

from houqin.core.specs import all_specs


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_every_resource(schema):
    paths = schema["paths"]
    assert all_specs(), "no model specs registered"
    for spec in all_specs():
        assert set(paths[f"/api/v1/{spec.api_path}"]) == {"get", "post"}, spec.api_path
        assert set(paths[f"/api/v1/{spec.api_path}/{{ref}}"]) == {"get", "put", "patch", "delete"}, spec.api_path
    assert "get" in paths["/api/v1/directory/lookup"]
    for name in ("sites", "locations", "departments", "companies", "teams", "trades", "people", "directory"):
        assert f"/api/v1/{name}" in paths


def test_every_list_documents_its_filters_paging_and_sort(schema):
    for spec in all_specs():
        operation = schema["paths"][f"/api/v1/{spec.api_path}"]["get"]
        names = {param["name"] for param in operation["parameters"]}
        assert set(spec.filterset_class.base_filters) <= names, spec.api_path
        assert {"limit", "offset", "sort"} <= names


def test_repeatable_filters_are_documented_as_arrays(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/locations"]["get"]["parameters"]}
    assert parameters["kind"]["schema"]["type"] == "array"
    assert "room" in parameters["kind"]["schema"]["items"]["enum"]
    assert parameters["kind"]["explode"] is True


def test_every_operation_documents_its_errors_and_ids_are_unique(schema):
    operation_ids = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert "401" in operation["responses"], (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in operation["responses"], (method, path)
            if "{ref}" in path:
                assert "404" in operation["responses"], (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def test_the_schema_offers_both_ways_to_authenticate(schema):
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_create_bodies_document_the_required_fields(schema):
    location_in = schema["components"]["schemas"]["LocationIn"]
    assert set(location_in["required"]) == {"code", "name", "kind"}
    assert "required" not in schema["components"]["schemas"]["LocationPatch"]


def test_the_interactive_docs_load(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
