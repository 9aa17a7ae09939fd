namespace PhiSharp.Tensors;

/// <summary>
/// IEEE 754 half precision (1 sign, 5 exponent, 10 mantissa bits), converted bit by bit as ggml's portable code does:
/// widening is exact; narrowing rounds to nearest, ties to even, and every NaN becomes the quiet NaN 0x7E00.
/// </summary>
public static class Fp16
{
    public static float ToSingle(ushort half)
    {
        uint sign = (uint)(half & 0x8000) << 16;
        int exponent = (half >> 10) & 0x1F;
        uint mantissa = (uint)half & 0x3FF;

        if (exponent == 0x1F) // infinity, or NaN made quiet with its payload kept
            return BitConverter.UInt32BitsToSingle(sign | 0x7F800000 | (mantissa << 13) | (mantissa != 0 ? 0x400000u : 0));
        if (exponent == 0) // zero or subnormal: mantissa × 2^-24, exact in single precision
        {
            float magnitude = mantissa * (1f / (1 << 24));
            return sign != 0 ? -magnitude : magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return BitConverter.UInt32BitsToSingle(sign | ((uint)(exponent + 112) << 23) | (mantissa << 13));
    }

    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint sign = (bits >> 16) & 0x8000;
        uint abs = bits & 0x7FFFFFFF;

        if (abs > 0x7F800000) return (ushort)(sign | 0x7E00); // NaN
        if (abs >= 0x477FF000) return (ushort)(sign | 0x7C00); // 65520 and above round to infinity

        int exponent = (int)(abs >> 23);
        uint mantissa = abs & 0x7FFFFF;
        uint result;
        int shift;
        if (exponent < 113)
        {
            // below 2^-14: a half subnormal counts units of 2^-24, so shift the 24-bit significand right
            if (exponent < 102) return (ushort)sign; // below 2^-25: rounds to zero
            mantissa |= 0x800000;
            shift = 126 - exponent;
            result = mantissa >> shift;
        }
        else
        {
            // normal: rebias the exponent from 127 to 15 and keep the top 10 mantissa bits
            shift = 13;
            result = ((uint)(exponent - 112) << 10) | (mantissa >> shift);
        }
        uint remainder = mantissa & ((1u << shift) - 1);
        uint halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (result & 1) != 0))
            result++; // a carry out of the mantissa correctly bumps the exponent
        return (ushort)(sign | result);
    }
}

/// <summary>
/// bfloat16: the top 16 bits of a float32. Widening is a shift; narrowing rounds to nearest, ties to even,
/// and a NaN keeps its top bits with the quiet bit set (as ggml and PyTorch do).
/// </summary>
public static class Bf16
{
    public static float ToSingle(ushort bf16) => BitConverter.UInt32BitsToSingle((uint)bf16 << 16);

    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
