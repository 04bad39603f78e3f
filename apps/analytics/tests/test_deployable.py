from kernel.testing.deployable_contract import *  # noqa: F403 - the shared deployable checks
