"""County Health Warehouse: nightly facility exports -> interoperable EHR -> quality marts."""

__version__ = "0.1.0"
