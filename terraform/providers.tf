provider "google" {
  default_labels = var.labels
  project        = var.project_id
  region         = var.region
}
