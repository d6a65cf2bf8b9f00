"""The pages behind the magic links, with email sign-in for private apps."""
