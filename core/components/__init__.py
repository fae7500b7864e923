"""AWS behaviour, one module per service: each node kind is a component class."""
