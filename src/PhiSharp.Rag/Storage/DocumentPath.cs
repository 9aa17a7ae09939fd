namespace PhiSharp.Rag.Storage;

/// <summary>How a stored document's path is shown to people (CLI output, cited sources, the server's "sources").</summary>
public static class DocumentPath
{
    /// <summary>Stored paths are absolute; under the current folder they are shown relative to it, with '/'.</summary>
    public static string Display(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative.Replace('\\', '/');
    }
}
