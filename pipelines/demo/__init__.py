"""Demo data: a fictional telecom-and-devices operator, 星河通信, and its customers' voices."""
