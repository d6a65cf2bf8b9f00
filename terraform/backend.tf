# State lives in a bucket the operator creates once, before the first `terraform init`, and
# names at init: terraform init -backend-config="bucket=STATE_BUCKET" (see README.md).
terraform {
  backend "gcs" {
    prefix = "apkdrop"
  }
}
