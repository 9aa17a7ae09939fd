PaddingStrategy = TruncationStrategy = TextInput = object
