"""The application upload API: one request uploads an APK and returns its magic links."""
