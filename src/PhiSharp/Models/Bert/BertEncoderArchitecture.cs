using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Bert;

/// <summary>
/// The sentence encoders: BERT (bge, MiniLM; GGUF "bert") and Nomic BERT (nomic-embed; GGUF "nomic-bert"). Any BERT
/// head class holds the same encoder, so config.json's model_type ("bert", "nomic_bert") is enough.
/// </summary>
internal sealed class BertEncoderArchitecture : ModelArchitecture
{
    public override IReadOnlyList<string> GgufNames => ["bert", "nomic-bert"];
    public override IReadOnlyList<string> HfArchitectures => ["BertModel", "NomicBertModel"];
    public override IReadOnlyList<string> HfModelTypes => ["bert", "nomic_bert"];
    public override bool IsEncoder => true;

    public override DecoderNetwork FromGguf(GgufFile gguf, LoadOptions options) =>
        Network(BertConfig.FromGguf(gguf), gguf, BertWeights.BindGguf);

    public override DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options) =>
        Network(BertHuggingFace.Config(config, Path.GetDirectoryName(config.FilePath)!), weights, BertHuggingFace.Bind);

    /// <summary>Checks <paramref name="config"/>, then binds its tensors under the file's names.</summary>
    public static BertNetwork Network(BertConfig config, ITensorSource weights, Func<ITensorSource, BertConfig, BertWeights> bind)
    {
        config.Validate(weights.Path);
        return new BertNetwork(config, bind(weights, config));
    }
}
