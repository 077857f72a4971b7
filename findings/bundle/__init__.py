"""Report bundles: the fixture format of FORMAT.md, read, checked, loaded and written back."""
