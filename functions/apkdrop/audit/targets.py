"""What an audit event names as its target: the API path of the object acted on."""

from apkdrop.version_labels import label


def version_target(app_id: str, number: int) -> str:
    return f"/v1/application/{app_id}/versions/{label(number)}"


def build_target(project_name: str, build_id: int) -> str:
    return f"/api/v1/projects/{project_name}/builds/{build_id}"
