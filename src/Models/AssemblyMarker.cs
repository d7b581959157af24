namespace Interp; internal static class AssemblyMarker { }
