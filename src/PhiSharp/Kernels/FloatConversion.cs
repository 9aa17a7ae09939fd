using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels;

/// <summary>Widening of 16-bit float formats to float32. Both are exact: every F16 and BF16 value is a float32 value.</summary>
internal static class FloatConversion
{
    /// <summary>
    /// .NET exposes no F16C or AVX-512 half conversion, so widening is bit arithmetic. A normal half's sign,
    /// exponent and mantissa move into float32's fields with one shift and one mask, and the exponent is rebased
    /// with one integer add (15 → 127): 4 operations per vector. Zeros, subnormals, infinities and NaNs (exponent
    /// 0 or 31) need more, so a vector holding one goes to TensorPrimitives' general conversion instead; the
    /// check costs 4 operations per 16 or 32 halves. In a decode step after 2048 tokens the general conversion, widening
    /// the float16 KV cache, took a fifth of the CPU time (docs/PERFORMANCE.md).
    /// </summary>
    public static void HalfToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = HalfToSingle512(source, destination);
        if (Vector256.IsHardwareAccelerated) i += HalfToSingle256(source[i..], destination[i..]);
        if (Vector128.IsHardwareAccelerated) i += HalfToSingle128(source[i..], destination[i..]);
        TensorPrimitives.ConvertToSingle(source[i..], destination[i..]);
    }

    const short ExponentMask = 0x7C00, ExponentOne = 0x0400, ExponentUpperBits = 0x7800;
    const int SignExponentMantissa = unchecked((int)0x8FFFE000), ExponentRebase = (127 - 15) << 23;

    /// <summary>Widens the longest prefix of whole 512-bit vectors (32 halves); returns its length.</summary>
    internal static int HalfToSingle512(ReadOnlySpan<Half> source, Span<float> destination)
    {
        int n = source.Length / Vector512<short>.Count * Vector512<short>.Count;
        ref short src = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(source));
        ref int dst = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(destination));
        for (int i = 0; i < n; i += Vector512<short>.Count)
        {
            var half = Vector512.LoadUnsafe(ref src, (nuint)i);
            // Exponent + 1 has neither bit 11 nor bits 12–14 set only for exponent 0 (→ 1) or 31 (→ 32, carried out).
            var exponentPlusOne = (half & Vector512.Create(ExponentMask)) + Vector512.Create(ExponentOne);
            if (Vector512.EqualsAny(exponentPlusOne & Vector512.Create(ExponentUpperBits), Vector512<short>.Zero))
            {
                TensorPrimitives.ConvertToSingle(source.Slice(i, Vector512<short>.Count), destination.Slice(i, Vector512<short>.Count));
                continue;
            }
            var (low, high) = Vector512.Widen(half);
            Normal(low).StoreUnsafe(ref dst, (nuint)i);
            Normal(high).StoreUnsafe(ref dst, (nuint)(i + Vector512<int>.Count));
        }
        return n;
    }

    /// <summary><see cref="HalfToSingle512"/> in 256-bit vectors (16 halves).</summary>
    internal static int HalfToSingle256(ReadOnlySpan<Half> source, Span<float> destination)
    {
        int n = source.Length / Vector256<short>.Count * Vector256<short>.Count;
        ref short src = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(source));
        ref int dst = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(destination));
        for (int i = 0; i < n; i += Vector256<short>.Count)
        {
            var half = Vector256.LoadUnsafe(ref src, (nuint)i);
            var exponentPlusOne = (half & Vector256.Create(ExponentMask)) + Vector256.Create(ExponentOne);
            if (Vector256.EqualsAny(exponentPlusOne & Vector256.Create(ExponentUpperBits), Vector256<short>.Zero))
            {
                TensorPrimitives.ConvertToSingle(source.Slice(i, Vector256<short>.Count), destination.Slice(i, Vector256<short>.Count));
                continue;
            }
            var (low, high) = Vector256.Widen(half);
            Normal(low).StoreUnsafe(ref dst, (nuint)i);
            Normal(high).StoreUnsafe(ref dst, (nuint)(i + Vector256<int>.Count));
        }
        return n;
    }

    /// <summary><see cref="HalfToSingle512"/> in 128-bit vectors (8 halves; ARM64's NEON).</summary>
    internal static int HalfToSingle128(ReadOnlySpan<Half> source, Span<float> destination)
    {
        int n = source.Length / Vector128<short>.Count * Vector128<short>.Count;
        ref short src = ref Unsafe.As<Half, short>(ref MemoryMarshal.GetReference(source));
        ref int dst = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(destination));
        for (int i = 0; i < n; i += Vector128<short>.Count)
        {
            var half = Vector128.LoadUnsafe(ref src, (nuint)i);
            var exponentPlusOne = (half & Vector128.Create(ExponentMask)) + Vector128.Create(ExponentOne);
            if (Vector128.EqualsAny(exponentPlusOne & Vector128.Create(ExponentUpperBits), Vector128<short>.Zero))
            {
                TensorPrimitives.ConvertToSingle(source.Slice(i, Vector128<short>.Count), destination.Slice(i, Vector128<short>.Count));
                continue;
            }
            var (low, high) = Vector128.Widen(half);
            Normal(low).StoreUnsafe(ref dst, (nuint)i);
            Normal(high).StoreUnsafe(ref dst, (nuint)(i + Vector128<int>.Count));
        }
        return n;
    }

    // A normal half, sign-extended to 32 bits and shifted left by 13, has its sign at bit 31 (bits 30–28 are copies
    // of it, masked off), its exponent at bits 27–23 and its mantissa at bits 22–13: float32's fields, with the
    // exponent still biased by 15. Adding 112 to the exponent field cannot carry into the sign (1–30 + 112 < 256).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Normal(Vector512<int> half) =>
        ((half << 13) & Vector512.Create(SignExponentMantissa)) + Vector512.Create(ExponentRebase);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Normal(Vector256<int> half) =>
        ((half << 13) & Vector256.Create(SignExponentMantissa)) + Vector256.Create(ExponentRebase);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Normal(Vector128<int> half) =>
        ((half << 13) & Vector128.Create(SignExponentMantissa)) + Vector128.Create(ExponentRebase);

    /// <summary>bfloat16 is the top half of a float32, so widening is a 16-bit shift.</summary>
    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is too short.", nameof(destination));
        int n = source.Length, i = 0;
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<ushort>.Count <= n; i += Vector512<ushort>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));
                Vector512.ShiftLeft(lo, 16).StoreUnsafe(ref dst, (nuint)i);
                Vector512.ShiftLeft(hi, 16).StoreUnsafe(ref dst, (nuint)(i + Vector512<uint>.Count));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<ushort>.Count <= n; i += Vector256<ushort>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                Vector256.ShiftLeft(lo, 16).StoreUnsafe(ref dst, (nuint)i);
                Vector256.ShiftLeft(hi, 16).StoreUnsafe(ref dst, (nuint)(i + Vector256<uint>.Count));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + Vector128<ushort>.Count <= n; i += Vector128<ushort>.Count)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref src, (nuint)i));
                Vector128.ShiftLeft(lo, 16).StoreUnsafe(ref dst, (nuint)i);
                Vector128.ShiftLeft(hi, 16).StoreUnsafe(ref dst, (nuint)(i + Vector128<uint>.Count));
            }
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
    }
}
