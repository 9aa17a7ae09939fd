using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Phi-3-small's tokenizer as tokenization_phi3_small.py builds it: tiktoken's cl100k_base split pattern, the rank
/// file the repository ships (cl100k_base.tiktoken) and <see cref="Phi3SmallSpecialTokens"/>. Special-token text is
/// parsed when encoding with parseSpecial (the reference's tokenize() allows all specials); the end of text is
/// &lt;|endoftext|&gt; (the reference's eos and bos).
/// </summary>
public static class Phi3SmallTokenizer
{
    /// <summary>The rank file's name in a Phi-3-small repository (the reference's vocab_files_names).</summary>
    public const string RankFileName = "cl100k_base.tiktoken";

    /// <summary>The folder's tokenizer files: its rank file, cl100k's pattern and the special-token table.</summary>
    public static TiktokenFiles Files(string folder)
    {
        string path = Path.Combine(folder, RankFileName);
        if (!File.Exists(path))
            throw new ModelFormatException(folder, $"no tokenizer.json and no {RankFileName} (Phi-3-small's rank file) in the model folder");
        return FilesOf(path);
    }

    public static ByteLevelBpeTokenizer FromFolder(string folder) => Files(folder).Load();

    public static ByteLevelBpeTokenizer FromRankFile(string path) => FilesOf(path).Load();

    static TiktokenFiles FilesOf(string rankFile) =>
        new(rankFile, KnownPatterns.Cl100kTiktoken, Phi3SmallSpecialTokens.All.ToDictionary(t => t.Key, t => t.Value));
}
