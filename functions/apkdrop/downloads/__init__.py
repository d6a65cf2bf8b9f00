"""The download record: every download of a version, who made it and how, and its count."""
