class Cache:
    pass


class DynamicCache(Cache):
    pass
