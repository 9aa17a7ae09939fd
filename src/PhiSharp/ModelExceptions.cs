namespace PhiSharp;

/// <summary>A model file is malformed: wrong magic, truncated, out-of-bounds tensor data, bad shape, bad JSON.
/// The message names the file and the tensor or field at fault.</summary>
public class ModelFormatException : Exception
{
    public string? FilePath { get; }

    public ModelFormatException(string? filePath, string message, Exception? inner = null)
        : base(filePath is null ? message : $"{filePath}: {message}", inner)
    {
        FilePath = filePath;
    }
}

/// <summary>A well-formed file describes something PhiSharp does not run: an unknown architecture or tensor type.</summary>
public class UnsupportedModelException : Exception
{
    public string? FilePath { get; }

    public UnsupportedModelException(string? filePath, string message)
        : base(filePath is null ? message : $"{filePath}: {message}")
    {
        FilePath = filePath;
    }
}
