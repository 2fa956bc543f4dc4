"""Adadelta, Ftrl, ProximalGradientDescent, ProximalAdagrad and AdagradDA: trajectories after
four steps equal TF 2.21's (dense and IndexedSlices gradients, float32 and float64), slot
names and constructor errors as TF."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf

X0 = [1.0, -2.0, 0.5]
TARGET = [0.3, 0.1, -0.7]
EMBEDDING0 = [[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]]


def _optimizer(name, global_step):
    return {
        "adadelta": lambda: tf.train.AdadeltaOptimizer(1.0, rho=0.9, epsilon=1e-3),
        "ftrl": lambda: tf.train.FtrlOptimizer(0.2),
        "ftrl_l1l2": lambda: tf.train.FtrlOptimizer(
            0.2, learning_rate_power=-0.7, initial_accumulator_value=0.5,
            l1_regularization_strength=0.05, l2_regularization_strength=0.1),
        "ftrl_shrink": lambda: tf.train.FtrlOptimizer(
            0.2, l1_regularization_strength=0.01, l2_regularization_strength=0.1,
            l2_shrinkage_regularization_strength=0.2, beta=0.3),
        "pgd": lambda: tf.train.ProximalGradientDescentOptimizer(0.05),
        "pgd_l1l2": lambda: tf.train.ProximalGradientDescentOptimizer(
            0.05, l1_regularization_strength=0.3, l2_regularization_strength=0.2),
        "padagrad": lambda: tf.train.ProximalAdagradOptimizer(0.3),
        "padagrad_l1l2": lambda: tf.train.ProximalAdagradOptimizer(
            0.3, initial_accumulator_value=0.2, l1_regularization_strength=0.1,
            l2_regularization_strength=0.2),
        "adagradda": lambda: tf.train.AdagradDAOptimizer(0.3, global_step),
        "adagradda_l1l2": lambda: tf.train.AdagradDAOptimizer(
            0.3, global_step, initial_gradient_squared_accumulator_value=0.2,
            l1_regularization_strength=0.01, l2_regularization_strength=0.2),
    }[name]()


# x after each of four `minimize(loss, global_step=...)` steps in TF 2.21. Dense:
# sum((x - TARGET)^2 (x + 3)); sparse: the same of rows [2, 0, 2] of EMBEDDING0 against 0.5
# (a gather, so an IndexedSlices gradient with a duplicate index).
EXPECTED = {
    'adadelta/float32/dense': [[0.9000135064125061, -2.0902860164642334, 0.40000516176223755],
                               [0.8070595264434814, -2.220210313796997, 0.30365055799484253],
                               [0.7251598834991455, -2.3886966705322266, 0.21387259662151337],
                               [0.6549468636512756, -2.6005895137786865, 0.13155654072761536]],
    'adadelta/float32/sparse': [[[0.9000276923179626, 1.9000016450881958],
                                 [-0.5, 0.25],
                                 [2.9000000953674316, -0.9000089168548584]],
                                [[0.8108062148094177, 1.8021626472473145],
                                 [-0.5, 0.25],
                                 [2.8004536628723145, -0.7952943444252014]],
                                [[0.7373954653739929, 1.7090015411376953],
                                 [-0.5, 0.25],
                                 [2.703301191329956, -0.6868991851806641]],
                                [[0.6795622110366821, 1.6214768886566162],
                                 [-0.5, 0.25],
                                 [2.609405517578125, -0.5762007236480713]]],
    'adadelta/float64/dense': [[0.9000134882297556, -2.090286044856753, 0.4000051730682092],
                               [0.8070595182270865, -2.2202103087431215, 0.3036505649419234],
                               [0.7251598925770927, -2.3886966541274965, 0.21387260587748544],
                               [0.6549468886588506, -2.6005893931882627, 0.1315565529092506]],
    'adadelta/float64/sparse': [[[0.9000276797102174, 1.9000016898224832],
                                 [-0.5, 0.25],
                                 [2.900000104670743, -0.9000088972473888]],
                                [[0.8108062014912175, 1.8021626939033053],
                                 [-0.5, 0.25],
                                 [2.8004536473905786, -0.7952943232250588]],
                                [[0.7373954462907178, 1.7090016277430036],
                                 [-0.5, 0.25],
                                 [2.7033011999944168, -0.686899181015948]],
                                [[0.6795621763038523, 1.6214770133588932],
                                 [-0.5, 0.25],
                                 [2.6094055854815568, -0.5762006925109082]]],
    'adagradda/float32/dense': [[-0.2995963990688324,
                                 -0.16596174240112305,
                                 -0.29984524846076965],
                                [-0.1428569257259369,
                                 0.24765318632125854,
                                 -0.36068499088287354],
                                [-0.036856669932603836,
                                 0.04143081232905388,
                                 -0.41000500321388245],
                                [0.040896717458963394,
                                 0.09895459562540054,
                                 -0.45091500878334045]],
    'adagradda/float32/sparse': [[[-0.2991730272769928, -0.299949586391449],
                                  [-0.5, 0.25],
                                  [-0.2999971807003021, 0.2997336983680725]],
                                 [[-0.03047267161309719, -0.23077140748500824],
                                  [-0.5, 0.25],
                                  [-0.2681640684604645, 0.3805924654006958]],
                                 [[0.10907439887523651, -0.16773034632205963],
                                  [-0.5, 0.25],
                                  [-0.23730677366256714, 0.4320290684700012]],
                                 [[0.20435784757137299, -0.11020293086767197],
                                  [-0.5, 0.25],
                                  [-0.20741978287696838, 0.46328046917915344]]],
    'adagradda/float64/dense': [[-0.2995963855445311,
                                 -0.16596196807349298,
                                 -0.299845214101362],
                                [-0.14285692667560976,
                                 0.2476531312441394,
                                 -0.36068499379889135],
                                [-0.03685668773810561,
                                 0.04143098642786011,
                                 -0.41000501537338063],
                                [0.040896697009356865,
                                 0.09895458596746183,
                                 -0.4509149957102415]],
    'adagradda/float64/sparse': [[[-0.29917299446352713, -0.2999496150431771],
                                  [-0.5, 0.25],
                                  [-0.29999715821599315, 0.2997337002733047]],
                                 [[-0.030472658564020462, -0.2307714205723273],
                                  [-0.5, 0.25],
                                  [-0.26816408275439146, 0.38059248045951005]],
                                 [[0.10907440457236432, -0.16773036688507015],
                                  [-0.5, 0.25],
                                  [-0.23730673324318408, 0.43202905075702824]],
                                 [[0.2043578830807636, -0.11020295233538571],
                                  [-0.5, 0.25],
                                  [-0.20741975616480332, 0.46328047640359077]]],
    'adagradda_l1l2/float32/dense': [[-0.295796662569046,
                                      -0.10829037427902222,
                                      -0.2975735068321228],
                                     [-0.13993391394615173,
                                      0.20215488970279694,
                                      -0.3560371994972229],
                                     [-0.035669632256031036,
                                      0.04791941121220589,
                                      -0.40289321541786194],
                                     [0.036927442997694016,
                                      0.09902335703372955,
                                      -0.4413527250289917]],
    'adagradda_l1l2/float32/sparse': [[[-0.29352957010269165, -0.29868683218955994],
                                       [-0.5, 0.25],
                                       [-0.2997048795223236, 0.2966994047164917]],
                                      [[-0.029443759471178055, -0.22889235615730286],
                                       [-0.5, 0.25],
                                       [-0.2676442861557007, 0.3746601939201355]],
                                      [[0.10392643511295319, -0.16568900644779205],
                                       [-0.5, 0.25],
                                       [-0.23661667108535767, 0.42385536432266235]],
                                      [[0.19570392370224, -0.10835171490907669],
                                       [-0.5, 0.25],
                                       [-0.20661261677742004, 0.45391473174095154]]],
    'adagradda_l1l2/float64/dense': [[-0.2957966689206718,
                                      -0.10829059166232036,
                                      -0.2975734904503532],
                                     [-0.13993394025341038,
                                      0.20215487640538285,
                                      -0.3560372080932734],
                                     [-0.0356696573219808,
                                      0.047919536944391716,
                                      -0.4028932184517532],
                                     [0.03692742217300197,
                                      0.09902332997598,
                                      -0.44135270899413775]],
    'adagradda_l1l2/float64/sparse': [[[-0.29352957883067643, -0.2986868271299137],
                                       [-0.5, 0.25],
                                       [-0.29970489913309223, 0.2966994188268653]],
                                      [[-0.02944375545808877, -0.22889238782104632],
                                       [-0.5, 0.25],
                                       [-0.2676442732387876, 0.37466018163361153]],
                                      [[0.1039264308321274, -0.16568902269318894],
                                       [-0.5, 0.25],
                                       [-0.23661668538792527, 0.4238553788385528]],
                                      [[0.19570392529166655, -0.10835171169412382],
                                       [-0.5, 0.25],
                                       [-0.2066126191669732, 0.4539147462760037]]],
    'ftrl/float32/dense': [[0.7484132051467896, -0.44455182552337646, 0.28404298424720764],
                           [0.6475235819816589, -0.2468423694372177, 0.16354744136333466],
                           [0.5771252512931824, -0.13090398907661438, 0.07361944764852524],
                           [0.5244650840759277, -0.05472707003355026, 0.0013224466238170862]],
    'ftrl/float32/sparse': [[[0.7263498902320862, 1.7633756399154663],
                             [-0.5, 0.25],
                             [2.786916732788086, -0.7580512762069702]],
                            [[0.6508203148841858, 1.6393836736679077],
                             [-0.5, 0.25],
                             [2.655264377593994, -0.6112210154533386]],
                            [[0.6033731698989868, 1.5443757772445679],
                             [-0.5, 0.25],
                             [2.5520265102386475, -0.4925631284713745]],
                            [[0.5718718767166138, 1.466379165649414],
                             [-0.5, 0.25],
                             [2.4654572010040283, -0.3920397460460663]]],
    'ftrl/float64/dense': [[0.7484132017113022, -0.44455304510436683, 0.2840430027386624],
                           [0.6475235661503024, -0.24684357201169724, 0.16354746138014883],
                           [0.5771252589936626, -0.1309051046211104, 0.07361946444252551],
                           [0.5244650836157272, -0.05472803123038518, 0.001322453373260586]],
    'ftrl/float64/sparse': [[[0.7263499271287096, 1.7633756653089832],
                             [-0.5, 0.25],
                             [2.786916737091836, -0.7580512649266612]],
                            [[0.650820323447442, 1.6393836402970834],
                             [-0.5, 0.25],
                             [2.6552644426652887, -0.6112209678786504]],
                            [[0.603373152142219, 1.5443756158298887],
                             [-0.5, 0.25],
                             [2.5520267033155077, -0.492563088048694]],
                            [[0.5718718872810932, 1.4663790296086803],
                             [-0.5, 0.25],
                             [2.465457122726438, -0.3920396962500255]]],
    'ftrl_l1l2/float32/dense': [[0.8517217636108398, -0.154440239071846, 0.4065980911254883],
                                [0.7989582419395447,
                                 -0.01008718553930521,
                                 0.35932138562202454],
                                [0.7595644593238831, 0.04109096899628639, 0.32401490211486816],
                                [0.7277169823646545,
                                 0.07337387651205063,
                                 0.29529544711112976]],
    'ftrl_l1l2/float32/sparse': [[[0.804885745048523, 1.9116339683532715],
                                  [-0.5, 0.25],
                                  [2.959043264389038, -0.8721296787261963]],
                                 [[0.7535102963447571, 1.8733439445495605],
                                  [-0.5, 0.25],
                                  [2.937025547027588, -0.8165456056594849]],
                                 [[0.7157123684883118, 1.8445574045181274],
                                  [-0.5, 0.25],
                                  [2.920473337173462, -0.7748377323150635]],
                                 [[0.6859883666038513, 1.8210442066192627],
                                  [-0.5, 0.25],
                                  [2.906949996948242, -0.7408681511878967]]],
    'ftrl_l1l2/float64/dense': [[0.8517217878467058, -0.15444075358333606, 0.4065980756233867],
                                [0.7989583155280079,
                                 -0.01008771381727525,
                                 0.35932140662856416],
                                [0.7595645012360344, 0.041090585768147635, 0.3240149347736632],
                                [0.7277170233753645,
                                 0.07337361147410867,
                                 0.29529547749738483]],
    'ftrl_l1l2/float64/sparse': [[[0.8048857847424906, 1.9116339181970148],
                                  [-0.5, 0.25],
                                  [2.959043257013563, -0.8721297168248009]],
                                 [[0.7535103748573809, 1.8733439198344857],
                                  [-0.5, 0.25],
                                  [2.9370253577909895, -0.8165455891573487]],
                                 [[0.7157124263961476, 1.8445572279501208],
                                  [-0.5, 0.25],
                                  [2.920473428498425, -0.7748377574843465]],
                                 [[0.6859883881412859, 1.8210440520822508],
                                  [-0.5, 0.25],
                                  [2.9069499168492885, -0.7408681880835867]]],
    'ftrl_shrink/float32/dense': [[0.6961531639099121,
                                   -0.009385728277266026,
                                   0.2704373300075531],
                                  [0.6023774743080139,
                                   0.1058998629450798,
                                   0.15292313694953918],
                                  [0.535787045955658,
                                   0.09135625511407852,
                                   0.06499353796243668],
                                  [0.4857580363750458,
                                   0.09444648027420044,
                                   -0.005375198554247618]],
    'ftrl_shrink/float32/sparse': [[[0.6548642516136169, 1.7200886011123657],
                                    [-0.5, 0.25],
                                    [2.770585775375366, -0.7147542238235474]],
                                   [[0.5952334403991699, 1.5952882766723633],
                                    [-0.5, 0.25],
                                    [2.637892246246338, -0.5669963955879211]],
                                   [[0.5564829707145691, 1.4989262819290161],
                                    [-0.5, 0.25],
                                    [2.533639430999756, -0.44854262471199036]],
                                   [[0.5304881930351257, 1.4195555448532104],
                                    [-0.5, 0.25],
                                    [2.446139097213745, -0.3488572835922241]]],
    'ftrl_shrink/float64/dense': [[0.6961532132194845,
                                   -0.009386509268329667,
                                   0.27043735347521125],
                                  [0.6023775132338021,
                                   0.1058995273036521,
                                   0.15292314096897686],
                                  [0.5357870987973206,
                                   0.09135638543338215,
                                   0.0649935462381116],
                                  [0.4857580815349176,
                                   0.0944464404621649,
                                   -0.005375180964313375]],
    'ftrl_shrink/float64/sparse': [[[0.6548642756461472, 1.720088439817333],
                                    [-0.5, 0.25],
                                    [2.7705858683988978, -0.7147542082925483]],
                                   [[0.5952335130532777, 1.5952881395658434],
                                    [-0.5, 0.25],
                                    [2.6378922529559317, -0.5669963587687245]],
                                   [[0.5564829790898084, 1.498926161584866],
                                    [-0.5, 0.25],
                                    [2.5336396617574666, -0.4485425908477869]],
                                   [[0.5304881683982986, 1.4195555772285817],
                                    [-0.5, 0.25],
                                    [2.446139294254636, -0.34885721332462627]]],
    'padagrad/float32/dense': [[0.7004035711288452, -2.165961742401123, 0.20015475153923035],
                               [0.5636351704597473, -2.454836368560791, 0.03360150754451752],
                               [0.4815737307071686, -2.7356395721435547, -0.0829177051782608],
                               [0.42782217264175415, -2.991628885269165, -0.1717250943183899]],
    'padagrad/float32/sparse': [[[0.7008270025253296, 1.7000503540039062],
                                 [-0.5, 0.25],
                                 [2.700002908706665, -0.7002663612365723]],
                                [[0.599648118019104, 1.5220175981521606],
                                 [-0.5, 0.25],
                                 [2.5090365409851074, -0.47948116064071655]],
                                [[0.55205899477005, 1.3922120332717896],
                                 [-0.5, 0.25],
                                 [2.3630919456481934, -0.304575115442276]],
                                [[0.5277634859085083, 1.2898184061050415],
                                 [-0.5, 0.25],
                                 [2.243197441101074, -0.1618708372116089]]],
    'padagrad/float64/sparse': [[[0.7008270055364728, 1.700050384956823],
                                 [-0.5, 0.25],
                                 [2.700002841784007, -0.7002662997266953]],
                                [[0.5996481081967431, 1.5220176232217832],
                                 [-0.5, 0.25],
                                 [2.5090365961362053, -0.4794810837898371]],
                                [[0.5520590108229023, 1.392212030497606],
                                 [-0.5, 0.25],
                                 [2.3630920611827086, -0.30457502765843114]],
                                [[0.52776347532291, 1.289818374812522],
                                 [-0.5, 0.25],
                                 [2.243197547080232, -0.1618707562047902]]],
    'padagrad_l1l2/float32/dense': [[0.6891217231750488,
                                     -1.8429782390594482,
                                     0.1960694044828415],
                                    [0.5468233823776245,
                                     -1.4608958959579468,
                                     0.027614470571279526],
                                    [0.46154507994651794,
                                     -1.1404601335525513,
                                     -0.08524660021066666],
                                    [0.40586477518081665,
                                     -0.8876728415489197,
                                     -0.1708957999944687]],
    'padagrad_l1l2/float32/sparse': [[[0.6850095391273499, 1.6924773454666138],
                                      [-0.5, 0.25],
                                      [2.697359561920166, -0.6910206079483032]],
                                     [[0.5773712396621704, 1.5097999572753906],
                                      [-0.5, 0.25],
                                      [2.504678249359131, -0.46506601572036743]],
                                     [[0.5267257690429688, 1.3765820264816284],
                                      [-0.5, 0.25],
                                      [2.357412099838257, -0.28725573420524597]],
                                     [[0.500964343547821, 1.2715117931365967],
                                      [-0.5, 0.25],
                                      [2.236429214477539, -0.14310060441493988]]],
    'padagrad_l1l2/float64/sparse': [[[0.6850095318581717, 1.6924773095294303],
                                      [-0.5, 0.25],
                                      [2.6973596548544503, -0.691020631761437]],
                                     [[0.5773712520594817, 1.50980000376026],
                                      [-0.5, 0.25],
                                      [2.50467819944869, -0.4650660835658817]],
                                     [[0.5267258159727807, 1.3765821907506572],
                                      [-0.5, 0.25],
                                      [2.357412034353148, -0.2872557844856648]],
                                     [[0.5009643918949527, 1.2715120828127724],
                                      [-0.5, 0.25],
                                      [2.2364292919277333, -0.14310065858944446]]],
    'pgd/float32/dense': [[0.6955000162124634, -2.010499954223633, 0.007999986410140991],
                          [0.5415219664573669, -2.024376392364502, -0.23002959787845612],
                          [0.453069806098938, -2.0427658557891846, -0.3712536096572876],
                          [0.3990422189235687, -2.067225217819214, -0.4630764126777649]],
    'pgd/float32/sparse': [[[0.7875000238418579, 1.1375000476837158],
                            [-0.5, 0.25],
                            [-0.625, -0.625]],
                           [[0.6744765639305115, 0.8534140586853027],
                            [-0.5, 0.25],
                            [-0.21718749403953552, -0.21718749403953552]],
                           [[0.6088434457778931, 0.7109838724136353],
                            [-0.5, 0.25],
                            [0.13053643703460693, 0.13053643703460693]],
                           [[0.5689712166786194, 0.6304624080657959],
                            [-0.5, 0.25],
                            [0.3482099771499634, 0.3482099771499634]]],
    'pgd/float64/sparse': [[[0.7874999968335032, 1.1374999871477485],
                            [-0.5, 0.25],
                            [-0.6250000540167093, -0.6249999944120646]],
                           [[0.674476559030707, 0.8534140523708194],
                            [-0.5, 0.25],
                            [-0.21718754658941264, -0.21718748847488312]],
                           [[0.6088434519442707, 0.7109839080566834],
                            [-0.5, 0.25],
                            [0.13053634810978365, 0.13053639055155136]],
                           [[0.5689712086149615, 0.6304624076181498],
                            [-0.5, 0.25],
                            [0.3482098906561071, 0.3482099127970509]]],
    'pgd_l1l2/float32/dense': [[0.6737624406814575, -1.9757425785064697, 0.0],
                               [0.5093724131584167, -1.9441272020339966, -0.21732671558856964],
                               [0.41455838084220886, -1.9031842947006226, -0.3448392450809479],
                               [0.35622331500053406,
                                -1.8506032228469849,
                                -0.4261852502822876]],
    'pgd_l1l2/float32/sparse': [[[0.7648515105247498, 1.1113861799240112],
                                 [-0.5, 0.25],
                                 [-0.603960394859314, -0.603960394859314]],
                                [[0.6402292251586914, 0.8181505799293518],
                                 [-0.5, 0.25],
                                 [-0.18000663816928864, -0.18000663816928864]],
                                [[0.5675241351127625, 0.6699157357215881],
                                 [-0.5, 0.25],
                                 [0.14086660742759705, 0.14086660742759705]],
                                [[0.5229769945144653, 0.585261881351471],
                                 [-0.5, 0.25],
                                 [0.3352148234844208, 0.3352148234844208]]],
    'pgd_l1l2/float64/sparse': [[[0.7648514809762336, 1.111386124749471],
                                 [-0.5, 0.25],
                                 [-0.603960448531833, -0.6039603895173331]],
                                [[0.640229221821576, 0.8181505217517016],
                                 [-0.5, 0.25],
                                 [-0.180006662570355, -0.18000660633852014]],
                                [[0.5675241160615021, 0.6699157159012196],
                                 [-0.5, 0.25],
                                 [0.14086662084279108, 0.14086666026097194]],
                                [[0.5229769783809042, 0.5852618918956056],
                                 [-0.5, 0.25],
                                 [0.3352148052429613, 0.33521482536106445]]],
}


def _trajectory(name, dtype, sparse):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        if sparse:
            x = tf.Variable(np.array(EMBEDDING0, dtype), name="x")
            rows = tf.gather(x, [2, 0, 2])
            loss = tf.reduce_sum(tf.square(rows - 0.5) * (rows + 3.0))
        else:
            x = tf.Variable(np.array(X0, dtype), name="x")
            loss = tf.reduce_sum(tf.square(x - np.array(TARGET, dtype)) * (x + 3.0))
        opt = _optimizer(name, step)
        train = opt.minimize(loss, global_step=step)
        out = []
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(4):
                s.run(train)
                out.append(s.run(x))
        return out, opt, x, train


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_trajectory_matches_tf(key):
    name, dtype, kind = key.split("/")
    got, _, _, _ = _trajectory(name, dtype, kind == "sparse")
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for g, want in zip(got, EXPECTED[key]):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, want, rtol=rtol, atol=1e-7 if dtype == "float32" else 0)


@pytest.mark.parametrize("name,slots,slot_vars", [
    ("adadelta", ["accum", "accum_update"], ["x/Adadelta:0", "x/Adadelta_1:0"]),
    ("ftrl", ["accum", "linear"], ["x/Ftrl:0", "x/Ftrl_1:0"]),
    ("pgd", [], []),
    ("padagrad", ["accumulator"], ["x/ProximalAdagrad:0"]),
    ("adagradda", ["gradient_accumulator", "gradient_squared_accumulator"],
     ["x/AdagradDA:0", "x/AdagradDA_1:0"]),
])
def test_slot_and_op_names_as_tf(name, slots, slot_vars):
    _, opt, x, train = _trajectory(name, "float32", False)
    assert opt.get_slot_names() == slots
    assert [opt.get_slot(x, n).name for n in slots] == slot_vars
    assert train.name == opt.get_name()


def test_ftrl_slot_names_can_be_chosen():
    with tf.Graph().as_default():
        x = tf.Variable([1.0, 2.0], name="x")
        opt = tf.train.FtrlOptimizer(0.1, accum_name="acc", linear_name="lin")
        opt.minimize(tf.reduce_sum(x * x))
        assert opt.get_slot(x, "accum").name == "x/acc:0"
        assert opt.get_slot(x, "linear").name == "x/lin:0"


@pytest.mark.parametrize("name,message", [
    ("pgd", "Input 'delta' of 'ResourceApplyProximalGradientDescent' Op has type float64 "
            "that does not match type float32 of argument 'alpha'."),
    ("padagrad", "Input 'grad' of 'ResourceApplyProximalAdagrad' Op has type float64 that "
                 "does not match type float32 of argument 'lr'."),
])
def test_dense_proximal_float64_with_float32_hyperparameters_fails_as_tf(name, message):
    # TF's dense proximal paths pass the hyperparameters uncast (the sparse ones cast).
    with pytest.raises(TypeError) as info:
        _trajectory(name, "float64", False)
    assert str(info.value) == message


@pytest.mark.parametrize("build,message", [
    (lambda: tf.train.FtrlOptimizer(0.1, initial_accumulator_value=-1.0),
     "initial_accumulator_value -1.000000 needs to be positive or zero"),
    (lambda: tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5),
     "learning_rate_power 0.500000 needs to be negative or zero"),
    (lambda: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0),
     "l1_regularization_strength -1.000000 needs to be positive or zero"),
    (lambda: tf.train.FtrlOptimizer(0.1, l2_regularization_strength=-1.0),
     "l2_regularization_strength -1.000000 needs to be positive or zero"),
    (lambda: tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=-1.0),
     "l2_shrinkage_regularization_strength -1.000000 needs to be positive or zero"),
    (lambda: tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0),
     "initial_accumulator_value must be positive: 0.0"),
    (lambda: tf.train.AdagradDAOptimizer(0.1, None,
                                         initial_gradient_squared_accumulator_value=0.0),
     "initial_gradient_squared_accumulator_value must be positive: 0.0"),
])
def test_constructor_errors_as_tf(build, message):
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value) == message


def test_sparse_update_leaves_untouched_rows_alone():
    with tf.Graph().as_default():
        x = tf.Variable(np.array(EMBEDDING0, np.float32), name="x")
        loss = tf.reduce_sum(tf.gather(x, [0]))
        train = tf.train.AdadeltaOptimizer(1.0).minimize(loss)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(train)
            got = s.run(x)
    np.testing.assert_array_equal(got[1:], np.array(EMBEDDING0, np.float32)[1:])
    assert not np.array_equal(got[0], np.array(EMBEDDING0, np.float32)[0])


class _RefStyleMomentum(tf.train.Optimizer):
    """A subclass written as TF 1 programs write them (ref-variable hooks, TF's slot API)."""

    def __init__(self, learning_rate, use_locking=False, name="RefStyle"):
        super().__init__(use_locking, name)
        self._lr = learning_rate

    def _prepare(self):
        self._lr_t = tf.convert_to_tensor(self._call_if_callable(self._lr),
                                          name="learning_rate")

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        self._create_non_slot_variable(initial_value=1.0, name="steps", colocate_with=first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._get_or_make_slot(v, tf.ones(v.shape, dtype=v.dtype), "ones", "Ones")

    def _apply_dense(self, grad, var):
        m = self.get_slot(var, "m")
        m_t = tf.assign(m, m * 0.5 + grad)
        return tf.group(tf.assign_sub(var, tf.cast(self._lr_t, var.dtype.base_dtype) * m_t))

    def _apply_sparse(self, grad, var):
        # Receives deduplicated slices, as TF's default `_apply_sparse_duplicate_indices`
        # passes them.
        self.seen_indices = grad.indices
        return self._apply_dense(tf.convert_to_tensor(grad), var)

    def _finish(self, update_ops, name_scope):
        steps = self._get_non_slot_variable("steps", graph=tf.get_default_graph())
        with tf.control_dependencies(update_ops):
            bump = tf.assign_add(steps, 1.0)
        return tf.group(*update_ops, bump, name=name_scope)


class _ResourceStyleSgd(tf.train.Optimizer):
    """A subclass with only TF's resource-variable hooks."""

    def __init__(self, learning_rate):
        super().__init__(False, "ResourceStyle")
        self._lr = learning_rate

    def _resource_apply_dense(self, grad, handle):
        return handle.assign_sub(self._lr * grad, read_value=False)

    def _resource_apply_sparse(self, grad, handle, indices):
        return tf.scatter_sub(handle, indices, self._lr * grad)


def test_tf_style_subclasses():
    with tf.Graph().as_default():
        x = tf.Variable([1.0, 2.0, 3.0], name="x")
        opt = _RefStyleMomentum(0.1)
        train = opt.minimize(tf.reduce_sum(x * x))
        emb = tf.Variable([[1.0], [2.0], [3.0]], name="emb")
        sparse_train = opt.minimize(tf.reduce_sum(tf.gather(emb, [2, 0, 2])))
        assert opt.get_slot(x, "m").name == "x/RefStyle:0"
        assert opt.get_slot(x, "ones").name == "x/Ones:0"
        assert opt._get_non_slot_variable("steps").name == "steps:0"
        assert opt._get_non_slot_variable("steps").dtype == tf.float32
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(train)
            s.run(train)
            got_x = s.run(x)
            s.run(sparse_train)
            got_emb, steps, ones, seen = s.run([emb, opt._get_non_slot_variable("steps"),
                                                opt.get_slot(x, "ones"), opt.seen_indices])
    # m = g, then 0.5 m + g'; x -= 0.1 m.
    x0 = np.array([1.0, 2.0, 3.0])
    x1 = x0 - 0.1 * 2 * x0
    x2 = x1 - 0.1 * (0.5 * 2 * x0 + 2 * x1)
    np.testing.assert_allclose(got_x, x2, rtol=1e-6)
    # Rows 2 (twice) and 0: summed to 2 and 1 before `_apply_sparse`.
    assert sorted(seen.tolist()) == [0, 2]
    np.testing.assert_allclose(got_emb.ravel(), [0.9, 2.0, 2.8], rtol=1e-6)
    assert steps == 4.0
    np.testing.assert_array_equal(ones, [1.0, 1.0, 1.0])

    with tf.Graph().as_default():
        w = tf.Variable([1.0, 1.0])
        emb = tf.Variable([[1.0], [1.0]])
        opt = _ResourceStyleSgd(0.5)
        train = opt.minimize(tf.reduce_sum(w * w) + tf.reduce_sum(tf.gather(emb, [1, 1])))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(train)
            np.testing.assert_allclose(s.run(w), [0.0, 0.0])
            np.testing.assert_allclose(s.run(emb).ravel(), [1.0, 0.0])


def test_adam_beta_accumulators():
    with tf.Graph().as_default():
        x = tf.Variable([1.0])
        opt = tf.train.AdamOptimizer(0.1, beta1=0.8, beta2=0.9)
        train = opt.minimize(tf.reduce_sum(x * x))
        b1, b2 = opt._get_beta_accumulators()
        assert (b1.name, b2.name) == ("beta1_power:0", "beta2_power:0")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(train)
            np.testing.assert_allclose(s.run([b1, b2]), [0.64, 0.81], rtol=1e-6)
