namespace PhiSharp.Models;

/// <summary>
/// The name users know a model by, for ids and listings: a GGUF file's name without its extension; a Hugging Face
/// folder's name (not its weight file's, which is "model" or "model.safetensors.index" for every checkpoint); and for a
/// snapshot in the Hugging Face cache, .../models--microsoft--Phi-3-mini-4k-instruct/snapshots/&lt;commit&gt;, the
/// repository's name, Phi-3-mini-4k-instruct.
/// </summary>
static class ModelName
{
    const string CacheRepositoryPrefix = "models--";

    public static string Of(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(full)) return Path.GetFileNameWithoutExtension(full);
        var snapshots = Directory.GetParent(full);
        var repository = snapshots?.Parent;
        // The cache writes a repository "owner/name" as the folder models--owner--name, and names may not contain "--".
        if (snapshots?.Name == "snapshots" && repository is not null && repository.Name.StartsWith(CacheRepositoryPrefix, StringComparison.Ordinal))
            return repository.Name[(repository.Name.LastIndexOf("--", StringComparison.Ordinal) + 2)..];
        return Path.GetFileName(full);
    }
}
