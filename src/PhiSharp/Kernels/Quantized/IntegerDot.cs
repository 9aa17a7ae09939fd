using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The one integer primitive of the quantized kernels: products of 8-bit integers summed into 32-bit lanes.
/// The 256-bit form sums each 4 adjacent products into one lane (x86 vpdpbusd in the AVX-VNNI tiers, else pmaddubsw +
/// pmaddwd), so lanes 0–3 hold the first 16 elements and lanes 4–7 the last 16. The 128-bit form is portable
/// (Vector128) where only its total is meaningful, and on the ARM64 tiers sums each 4 adjacent products into one lane
/// (<see cref="Quads{TTier}"/>).
/// </summary>
internal static class IntegerDot
{
    /// <summary>acc + Σ u·s per lane; u unsigned (≤ 128), s signed (−127..127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add<TTier>(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s) where TTier : struct, ISimdTier
    {
        if (TTier.Vnni) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        // |u·s| ≤ 128·127, so the pairwise 16-bit sums cannot saturate.
        var pairs = Avx2.MultiplyAddAdjacent(u, s);
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One));
    }

    /// <summary>Each lane's <paramref name="low"/> and <paramref name="high"/> (16-bit values) as the lane's low and high
    /// 16-bit halves: the second operand of a pmaddwd that weighs a lane's two pair sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Halves(Vector256<int> low, Vector256<int> high) =>
        ((low & Vector256.Create(0xFFFF)) | (high << 16)).AsInt16();

    /// <summary>acc + Σ a·b per lane for two signed vectors: |a| against b with a's sign moved onto b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AddSigned<TTier>(Vector256<int> acc, Vector256<sbyte> a, Vector256<sbyte> b) where TTier : struct, ISimdTier =>
        Add<TTier>(acc, Avx2.Abs(a), Avx2.Sign(b, a));

    /// <summary>acc + the products u·s (u ≤ 127 here), spread over the four lanes: through <see cref="Quads{TTier}"/> on
    /// ARM64, else portable widening multiplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add<TTier>(Vector128<int> acc, Vector128<byte> u, Vector128<sbyte> s) where TTier : struct, ISimdTier
    {
        if (TTier.Neon) return Quads<TTier>(acc, u.AsSByte(), s);
        var (uLow, uHigh) = Vector128.Widen(u);
        var (sLow, sHigh) = Vector128.Widen(s);
        // Each product is at most 128·127 in magnitude, so two of them still fit in 16 bits.
        var products = uLow.AsInt16() * sLow + uHigh.AsInt16() * sHigh;
        var (low, high) = Vector128.Widen(products);
        return acc + low + high;
    }

    /// <summary>acc + the products a·b of two signed vectors, spread over the four lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> AddSigned<TTier>(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) where TTier : struct, ISimdTier
    {
        if (TTier.Neon) return Quads<TTier>(acc, a, b);
        var (aLow, aHigh) = Vector128.Widen(a);
        var (bLow, bHigh) = Vector128.Widen(b);
        var (p0, p1) = Vector128.Widen(aLow * bLow);
        var (p2, p3) = Vector128.Widen(aHigh * bHigh);
        return acc + p0 + p1 + p2 + p3;
    }

    /// <summary>
    /// ARM64 tiers: lane k of the result is acc[k] + Σ a[4k+i]·b[4k+i], i &lt; 4 — what SDOT computes, and what the
    /// interleaved layouts need (4 codes of one row per lane). Without the dot-product extension: SMULL/SMULL2 give
    /// 16-bit products (each at most 128·128 in magnitude), SADDLP sums neighbouring pairs into 32 bits, and ADDP sums
    /// the pairs' pairs, in lane order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Quads<TTier>(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b) where TTier : struct, ISimdTier
    {
        if (TTier.DotProd) return Dp.DotProduct(acc, a, b);
        var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(a.GetLower(), b.GetLower()));
        var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(a, b));
        return acc + AdvSimd.Arm64.AddPairwise(low, high);
    }

    /// <summary><see cref="Quads{TTier}"/> of a against quadruplet <paramref name="quad"/> of b repeated in every lane:
    /// 4 rows' codes (one row per lane) against 4 consecutive activations (SDOT by element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> QuadsByElement<TTier>(Vector128<int> acc, Vector128<sbyte> a, Vector128<sbyte> b, [ConstantExpected(Max = 3)] byte quad)
        where TTier : struct, ISimdTier
    {
        if (TTier.DotProd) return Dp.DotProductBySelectedQuadruplet(acc, a, b, quad);
        return Quads<TTier>(acc, a, AdvSimd.DuplicateSelectedScalarToVector128(b.AsInt32(), quad).AsSByte());
    }
}
