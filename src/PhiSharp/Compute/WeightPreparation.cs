using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Tensors;

namespace PhiSharp.Compute;

/// <summary>
/// The one place weights are laid out for the kernels that read them: the backend seam. On the CPU, Q4_0, Q8_0, Q4_K
/// and Q6_K matrices get their rows interleaved eight at a time (<see cref="InterleavedRows"/>), in the form the chosen
/// <see cref="SimdTier"/> reads; other types, and matrices whose bytes the source cannot rewrite (a mapped file), stay
/// row-major. A GPU backend would upload here instead. Formats hand their bytes over
/// (<see cref="ITensorSource.TryPrepareInPlace"/>) and never lay out weights themselves.
/// </summary>
internal static unsafe class WeightPreparation
{
    /// <summary>The matrix <paramref name="name"/> of <paramref name="source"/>, prepared in place for
    /// <paramref name="tier"/>'s matmul kernels; false where the source cannot rewrite it.</summary>
    public static bool TryPrepare(ITensorSource source, string name, SimdTier tier, out WeightTensor tensor) =>
        source.TryPrepareInPlace(name, (in WeightTensor t) => Prepare(t, tier), out tensor);

    /// <summary>Rewrites a row-major matrix in place for <paramref name="tier"/> and returns its new layout.</summary>
    public static WeightLayout Prepare(in WeightTensor tensor, SimdTier tier)
    {
        if (tensor.Dims.Length != 2 || !InterleavedRows.Supports(tensor.Type, tensor.Rows, tensor.RowLength))
            return WeightLayout.RowMajor;
        var layout = InterleavedRows.LayoutFor(tensor.Type, tier);
        InterleavedRows.Interleave(tensor.Type, tensor.Data, tensor.Rows, tensor.RowLength, layout);
        return layout;
    }
}
