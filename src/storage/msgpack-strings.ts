// Imported first by every module that loads lmdb-js or msgpackr (a value import): msgpackr reads this variable
// when it loads.
//
// msgpackr-extract (3.0.7), msgpackr's native string decoder, re-initialises a table the whole process shares each
// time a thread loads it; a decode on another thread meanwhile can return wrong strings without an error. With the
// variable set before msgpackr loads, no thread of this process loads the addon (threads inherit it), and strings
// are decoded in JavaScript, which measured no slower here. An application that sets the variable itself keeps its
// choice. See docs/guarantees.md, "msgpackr-extract and threads".

process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] ??= 'true';
