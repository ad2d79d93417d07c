/// The detector stages resolve their weights through the model zoo (`ModelLoader`), so it is part of their API.
@_exported import ModelZoo
