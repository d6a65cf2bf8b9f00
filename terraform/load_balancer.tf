# Optional (var.load_balancer): one HTTPS host for every public route, a global external
# Application Load Balancer whose URL map is built from routes.json, the table the local
# gateway routes by. Each public function is a serverless NEG behind its own backend service.
locals {
  lb_functions = local.load_balancer_enabled ? {
    for name, function in local.functions : name => function if function.invokers == "public"
  } : {}

  # routes.json paths of each function. `/a/*` covers `/a` too, as in the local gateway, but a
  # URL map's `/a/*` matches only below `/a`, so `/a` is added to it.
  lb_paths = {
    for name in keys(local.lb_functions) : name => distinct(flatten([
      for route in local.routes_table.routes : (
        endswith(route.path, "/*") ? [trimsuffix(route.path, "/*"), route.path] : [route.path]
      ) if route.function == name
    ]))
  }

  # Paths no route matches go to the first route's function, which answers 404 like the gateway.
  lb_default_function = local.routes_table.routes[0].function
}

resource "google_compute_global_address" "lb" {
  count = local.load_balancer_enabled ? 1 : 0

  name    = local.name_prefix
  project = var.project_id

  depends_on = [google_project_service.api]
}

# Provisioned once the domain's A record points at the address (up to an hour). Named after the
# domain, so changing it creates the new certificate before the old one goes.
resource "google_compute_managed_ssl_certificate" "lb" {
  count = local.load_balancer_enabled ? 1 : 0

  name    = "${local.name_prefix}-${substr(sha256(var.load_balancer.domain), 0, 8)}"
  project = var.project_id

  managed {
    domains = [var.load_balancer.domain]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_region_network_endpoint_group" "function" {
  for_each = local.lb_functions

  name                  = "${local.name_prefix}-${each.key}"
  network_endpoint_type = "SERVERLESS"
  project               = var.project_id
  region                = var.region

  cloud_run {
    service = google_cloudfunctions2_function.function[each.key].name
  }
}

resource "google_compute_backend_service" "function" {
  for_each = local.lb_functions

  load_balancing_scheme = "EXTERNAL_MANAGED"
  name                  = "${local.name_prefix}-${each.key}"
  project               = var.project_id
  protocol              = "HTTPS"

  backend {
    group = google_compute_region_network_endpoint_group.function[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "lb" {
  count = local.load_balancer_enabled ? 1 : 0

  default_service = google_compute_backend_service.function[local.lb_default_function].id
  name            = local.name_prefix
  project         = var.project_id

  host_rule {
    hosts        = [var.load_balancer.domain]
    path_matcher = "routes"
  }

  path_matcher {
    default_service = google_compute_backend_service.function[local.lb_default_function].id
    name            = "routes"

    dynamic "path_rule" {
      for_each = local.lb_paths
      content {
        paths   = path_rule.value
        service = google_compute_backend_service.function[path_rule.key].id
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for route in local.routes_table.routes : contains(keys(local.lb_functions), route.function)])
      error_message = "Every route of functions/routes.json must name a deployed function whose invokers are \"public\"."
    }
  }
}

resource "google_compute_ssl_policy" "lb" {
  count = local.load_balancer_enabled ? 1 : 0

  min_tls_version = "TLS_1_2"
  name            = local.name_prefix
  profile         = "MODERN"
  project         = var.project_id

  depends_on = [google_project_service.api]
}

resource "google_compute_target_https_proxy" "lb" {
  count = local.load_balancer_enabled ? 1 : 0

  name             = local.name_prefix
  project          = var.project_id
  ssl_certificates = [google_compute_managed_ssl_certificate.lb[0].id]
  ssl_policy       = google_compute_ssl_policy.lb[0].id
  url_map          = google_compute_url_map.lb[0].id
}

resource "google_compute_global_forwarding_rule" "https" {
  count = local.load_balancer_enabled ? 1 : 0

  ip_address            = google_compute_global_address.lb[0].id
  load_balancing_scheme = "EXTERNAL_MANAGED"
  name                  = "${local.name_prefix}-https"
  port_range            = "443"
  project               = var.project_id
  target                = google_compute_target_https_proxy.lb[0].id
}

# Plain HTTP on the same address only redirects to HTTPS.
resource "google_compute_url_map" "http_redirect" {
  count = local.load_balancer_enabled ? 1 : 0

  name    = "${local.name_prefix}-http-redirect"
  project = var.project_id

  default_url_redirect {
    https_redirect = true
    strip_query    = false
  }

  depends_on = [google_project_service.api]
}

resource "google_compute_target_http_proxy" "http_redirect" {
  count = local.load_balancer_enabled ? 1 : 0

  name    = "${local.name_prefix}-http-redirect"
  project = var.project_id
  url_map = google_compute_url_map.http_redirect[0].id
}

resource "google_compute_global_forwarding_rule" "http_redirect" {
  count = local.load_balancer_enabled ? 1 : 0

  ip_address            = google_compute_global_address.lb[0].id
  load_balancing_scheme = "EXTERNAL_MANAGED"
  name                  = "${local.name_prefix}-http-redirect"
  port_range            = "80"
  project               = var.project_id
  target                = google_compute_target_http_proxy.http_redirect[0].id
}
