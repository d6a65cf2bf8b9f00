# The Terraform and provider versions this configuration is written for. `archive` zips
# functions/ into the one source archive every function is built from (build.tf).
terraform {
  required_version = ">= 1.6.0, < 2.0.0"
  required_providers {
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.7.0, < 3.0.0"
    }
    google = {
      source  = "hashicorp/google"
      version = ">= 7.46.0, < 8.0.0" # what make terraform-check plans against (7.46.1)
    }
  }
}
