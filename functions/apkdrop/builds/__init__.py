"""The build-upload API: upload contexts, builds, signed uploads and their settlement."""
