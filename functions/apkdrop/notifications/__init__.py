"""Upload notifications: a Cloud Task per upload, and the worker that emails it once."""
