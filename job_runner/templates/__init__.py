"""The built-in templates. Each is registered as a ``dynamicjobs.templates`` entry point."""
