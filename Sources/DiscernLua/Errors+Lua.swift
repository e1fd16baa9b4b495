import LuaKit
import Store
import Tensor

extension TorchError: LuaCodedError {
    public var luaCode: String { kind.rawValue }
    public var luaMessage: String { message }
}

extension StoreError: LuaCodedError {
    public var luaCode: String { code }
    public var luaMessage: String { message }
}
