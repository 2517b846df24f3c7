"""Argument checks shared by the model wrappers: PyTorch-style TypeErrors naming the argument."""
from .._C import Generator, Tensor


def check_tensor(who, name, value, optional=False):
    if optional and value is None:
        return
    if not isinstance(value, Tensor):
        kind = "Tensor or None" if optional else "Tensor"
        raise TypeError(f"{who}(): argument '{name}' must be {kind}, not {type(value).__name__}")


def check_int(who, name, value, optional=False):
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{who}(): argument '{name}' must be int{' or None' if optional else ''}, "
                        f"not {type(value).__name__}")


def check_number(who, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{who}(): argument '{name}' must be float, not {type(value).__name__}")


def config_from(who, cls, config, kwargs):
    """`config` (an instance of cls) or cls(**kwargs)."""
    if config is None:
        try:
            return cls(**kwargs)
        except TypeError as e:
            raise TypeError(f"{who}(): {e}") from None
    if kwargs:
        raise TypeError(f"{who}(): pass either 'config' or its fields, not both")
    if not isinstance(config, cls):
        raise TypeError(f"{who}(): argument 'config' must be ember.models.{cls.__name__}, not {type(config).__name__}")
    return config


def check_generator(who, generator):
    """`generator` when it is an ember.Generator or None; else a TypeError naming it."""
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{who}(): argument 'generator' must be ember.Generator or None, "
                        f"not {type(generator).__name__}")
    return generator
