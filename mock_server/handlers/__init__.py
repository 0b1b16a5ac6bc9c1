"""One function per operationId, grouped by spec tag: parse -> domain -> reply."""
