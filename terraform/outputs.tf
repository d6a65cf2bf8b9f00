output "api_base_url" {
  description = "Where CI sends build-upload API requests (/api/v1/projects/...): https://DOMAIN with the load balancer, else build-api's own URL. route_base_urls has the base of every route."
  value       = coalesce(local.load_balancer_url, local.function_urls["build-api"])
}

output "curl_example" {
  description = "A first request to paste into a shell once KEY holds an API key: it creates an upload context."
  value       = "curl -s -X POST -H \"X-Api-Key: $KEY\" \"${coalesce(local.load_balancer_url, local.function_urls["build-api"])}/api/v1/projects/my-app/build-uploads\""
}

output "function_urls" {
  description = "Each deployed function's own URL."
  value       = { for name in keys(local.functions) : name => local.function_urls[name] }
}

output "load_balancer_ip" {
  description = "The address the load balancer's domain must resolve to (an A record); null without the load balancer."
  value       = one(google_compute_global_address.lb[*].address)
}

output "public_base_url" {
  description = "PUBLIC_BASE_URL: magic links are {public_base_url}/app/{id}."
  value       = local.public_base_url
}

output "route_base_urls" {
  description = "For each route of functions/routes.json, the base URL that serves it (the path is appended as is)."
  value = {
    for route in local.routes_table.routes : route.path => coalesce(local.load_balancer_url, local.function_urls[route.function])
  }
}

output "secret_ids" {
  description = "Secret Manager ids to add versions to (gcloud secrets versions add ID --data-file=-), by key."
  value       = { for key, secret in google_secret_manager_secret.secret : key => secret.secret_id }
}

output "service_account_emails" {
  description = "Each function's own service account (its identity in IAM policies and audit logs), by function name."
  value       = { for name, account in google_service_account.function : name => account.email }
}

output "service_account_ids" {
  description = "Each function's service account resource id (projects/P/serviceAccounts/EMAIL), by function name, for grants made outside this configuration."
  value       = { for name, account in google_service_account.function : name => account.id }
}

output "upload_bucket" {
  description = "The bucket uploads go to (UPLOAD_BUCKET)."
  value       = google_storage_bucket.uploads.name
}
