// The environments of Memento (issue 4). See the files in this folder.
import TensorCore
