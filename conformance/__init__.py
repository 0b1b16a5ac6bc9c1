"""moonkey-mock's conformance suite and pytest plugin: run the fake, drive it, check a target."""
