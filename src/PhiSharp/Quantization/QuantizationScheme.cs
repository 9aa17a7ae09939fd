using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>A target of <c>phi quantize</c>, named as llama.cpp's llama-quantize names it.</summary>
/// <param name="Name">"q4_k_m", "q4_0", ...</param>
/// <param name="FileType">The llama_ftype number written as general.file_type.</param>
/// <param name="DefaultType">The type most matrices get.</param>
/// <param name="Pure">Every quantizable matrix gets <paramref name="DefaultType"/>; no per-tensor mix.</param>
public sealed record QuantizationScheme(string Name, uint FileType, GgmlType DefaultType, bool Pure)
{
    /// <summary>The supported schemes. q4_0, q8_0 and q4_k_m apply llama.cpp's usual mix (e.g. output.weight in Q6_K);
    /// q4_k and q6_k are "pure" (llama-quantize --pure), as llama.cpp's own Q4_K_S / Q6_K files are near enough.</summary>
    public static readonly IReadOnlyList<QuantizationScheme> All =
    [
        new("f16", 1, GgmlType.F16, Pure: false),
        new("q8_0", 7, GgmlType.Q8_0, Pure: false),
        new("q4_0", 2, GgmlType.Q4_0, Pure: false),
        new("q4_k_m", 15, GgmlType.Q4_K, Pure: false),
        new("q4_k", 14, GgmlType.Q4_K, Pure: true),
        new("q6_k", 18, GgmlType.Q6_K, Pure: true),
    ];

    /// <summary>The scheme called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such scheme; the message lists the supported ones.</exception>
    public static QuantizationScheme Parse(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"unknown quantization type '{name}' (supported: {string.Join(", ", All.Select(s => s.Name))})");

    /// <summary>True for the block-quantized default types (the mix rules apply only to those).</summary>
    public bool IsQuantized => DefaultType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16);
}
