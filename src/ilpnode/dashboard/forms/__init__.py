"""Form parsing: what was typed (text) into the services' request values, or errors by field.

Every parser takes the typed values and returns the request for a service and a `FormState`
holding the typed values (so a page shows them again) and the errors found, all at once. The
checks are the services' own predicates (`services.peering.validation`), so the rules live in
one place; the service checks again and has the last word (its error is then mapped to a field
by `dashboard.messages`).
"""

from ilpnode.dashboard.forms.state import FormState, typed_values

__all__ = ["FormState", "typed_values"]
