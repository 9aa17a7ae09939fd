using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Models.Phi3Small;

/// <summary>Phi3SmallForCausalLM (model_type "phi3small"; GGUF "phi3small", PhiSharp's own): Phi-3-small 8k and 128k.</summary>
internal sealed class Phi3SmallArchitecture : ModelArchitecture
{
    public override IReadOnlyList<string> GgufNames => [Phi3SmallGguf.Architecture];
    public override IReadOnlyList<string> HfArchitectures => ["Phi3SmallForCausalLM"];
    public override bool ConvertsToGguf => true;

    public override DecoderNetwork FromGguf(GgufFile gguf, LoadOptions options) =>
        new Phi3SmallNetwork(gguf, Phi3SmallConfigReader.FromGguf(gguf), Phi3SmallTensorNames.Gguf);

    public override DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options) =>
        new Phi3SmallNetwork(weights, Phi3SmallConfigReader.FromHuggingFace(config), Phi3SmallTensorNames.HuggingFace);

    /// <summary>The repository ships cl100k_base.tiktoken, not tokenizer.json.</summary>
    public override TiktokenFiles? TiktokenWithoutTokenizerJson(string folder) => Phi3SmallTokenizer.Files(folder);

    public override GgufConversion ToGguf(HfModelConfig hf)
    {
        var c = Phi3SmallConfigReader.FromHuggingFace(hf);
        c.Validate(hf.FilePath);
        return Phi3SmallGguf.Conversion(c);
    }
}
