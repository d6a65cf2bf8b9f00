# Placeholder until the Terraform issue; the functions' settings model lists every variable
# the deployment will have to set (functions/apkdrop/settings.py).
terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }
}
