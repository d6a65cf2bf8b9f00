"""What an audit event names as its target: the API path of the object acted on (an app's and
a version's are `links.application_path` and `links.version_path`)."""


def build_target(project_name: str, build_id: int) -> str:
    return f"/api/v1/projects/{project_name}/builds/{build_id}"
