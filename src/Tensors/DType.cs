namespace Interp;

/// <summary>Element type of a tensor. Float32 is the default; Float64 serves gradient checks; Int32 holds indices.</summary>
public enum DType { Float32, Float64, Int32 }

public static class DTypeExtensions
{
    public static int ElementSize(this DType t) => t == DType.Float64 ? 8 : 4;
    public static bool IsFloatingPoint(this DType t) => t != DType.Int32;
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        _ => "int32",
    };
}
