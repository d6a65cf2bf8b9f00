"""Universal APKs built from uploaded App Bundles, so testers get something they can install."""
