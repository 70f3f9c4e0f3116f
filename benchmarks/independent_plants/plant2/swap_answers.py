# Hand-written foreign-language replacement outputs for the language-swap rows.
# id -> (language, length_class, text).  length_class: short (1-8 words), sentence (1-2 sentences), long (paragraph/list)
A = {}
def add(i, lang, cls, text):
    A[i] = (lang, cls, text.strip("\n"))

# ---------------- Chinese, technical (10) ----------------
add("r7135", "zh", "long", """计数到三的算法：
1. 初始化变量 count = 1
2. while count <= 3:
   - print(count)
   - count += 1
3. 循环结束，算法终止。
时间复杂度: O(1) (固定执行 3 次)。""")
add("r6894", "zh", "sentence", """一个典型的场景是电商平台的推荐系统 (recommendation system)：根据相似用户的购买记录和评分，为用户推荐他们可能感兴趣的商品，比如 Amazon 的“购买此商品的顾客也购买了”功能。""")
add("t1929", "zh", "long", """- 数据中有哪些明显的模式或趋势？
- 是否存在异常值 (outliers)？它们是怎么产生的？
- 各变量之间的相关性 (correlation) 如何？
- 数据来源可靠吗？采样方式是否存在偏差 (bias)？
- 缺失值 (missing values) 占比多少，应该如何处理？
- 这些数据能回答我们最初提出的问题吗？""")
add("r7856", "zh", "short", """医疗 (Healthcare)、金融 (FinTech)、自动驾驶。""")
add("r7460", "zh", "sentence", """设计概念：“Midnight Snack at the South Pole”——一只小企鹅 (Penguin) 在星空 (Star) 下偷吃苹果 (Apple) 和奶酪 (Cheese)。整体采用 flat design 插画风格，主色调为深蓝 #1B2A49 和暖黄 #F6C85F，适合做成海报或 T-shirt 图案。""")
add("r8596", "zh", "long", """可以用列表推导式 (list comprehension) 代替基于索引的 for 循环，这样更 Pythonic：

```python
array = [1, 2, 3, 4]
array = [x + 5 for x in array]
```

这样就避免了 range(len(array)) 这种写法，代码更简洁、可读性更好。如果需要原地修改列表，可以写成 array[:] = [x + 5 for x in array]。""")
add("t1473", "zh", "sentence", """非常抱歉，我之前给出的信息有误 (这是我的 bug)。感谢您的指正，今后我会更加仔细地核对回答内容。""")
add("r6825", "zh", "long", """人工智能 (Artificial Intelligence, AI) 的历史可以追溯到 20 世纪 50 年代。1950 年，Alan Turing 提出了著名的“图灵测试” (Turing Test)；1956 年的达特茅斯会议上，John McCarthy 首次提出了 “Artificial Intelligence” 这一术语。

60–70 年代出现了早期的专家系统和 LISP 语言，但由于算力不足、期望过高，AI 先后经历了两次“寒冬” (AI winter)。1997 年，IBM 的 Deep Blue 击败了国际象棋世界冠军卡斯帕罗夫。2012 年以后，深度学习 (deep learning) 借助 GPU 和大数据迅速发展，AlexNet、AlphaGo 以及 GPT 系列模型相继问世，AI 进入了新的黄金时代。""")
add("r8072", "zh", "short", """程序员、数据分析师、UI/UX 设计师""")
add("t810", "zh", "long", """学生: 张伟 (ID: S2023-014)
科目: 数学 (Math)
| 项目 | 成绩 |
|------|------|
| 期中考试 | 88 |
| 期末考试 | 92 |
| 作业平均分 | 95 |
| 出勤率 | 98% |
总评: A-。该生计算能力扎实，课堂表现积极，但几何证明题仍需加强。""")

# ---------------- Chinese, general (20) ----------------
add("t1041", "zh", "sentence", """诚邀您参加 Ken 的生日派对！时间：7月10日（星期五）下午5点，期待与您共度欢乐时光！""")
add("r6852", "zh", "sentence", """翠鸟是一种体型小巧、背部羽毛呈亮蓝色、腹部为橙棕色的鸟，常停在河边的树枝上，发现小鱼后便迅速俯冲入水捕食。""")
add("t954", "zh", "sentence", """组织文化就像花园里的土壤：看不见，却决定了里面能长出什么样的花。""")
add("t893", "zh", "long", """场景描述：黄昏时分的一间小木屋客厅。木地板上铺着一块旧地毯，壁炉里的火光在墙上投下温暖的影子；窗边放着一把摇椅和一张小圆桌，桌上有一杯冒着热气的茶和一本翻开的书。窗外是被夕阳染红的雪山。

为了增强真实感，可以给木头添加细微的划痕纹理，为茶杯加入蒸汽粒子效果，并用体积光模拟从窗户照进来的光束。""")
add("t2004", "zh", "short", """内心平静，心满意足。""")
add("r8115", "zh", "short", """压力、睡眠不足、脱水和眼疲劳。""")
add("t962", "zh", "sentence", """创伤后应激障碍是一种在经历或目睹严重创伤事件后出现的心理疾病，常见症状包括闪回、噩梦、过度警觉以及回避与创伤有关的事物。""")
add("t269", "zh", "short", """移项得 4x = 36，所以 x = 9。""")
add("t1103", "zh", "long", """堆肥计划：
1. 准备一个带盖的堆肥桶，放在阴凉通风的地方。
2. 收集厨余：果皮、菜叶、咖啡渣、蛋壳等（避免肉类和油脂）。
3. 按“绿色材料”与“棕色材料”约 1:2 的比例分层堆放，棕色材料可以用枯叶或碎纸板。
4. 保持湿润，像拧干的海绵一样即可。
5. 每周翻动一次，帮助通气。
6. 大约两到三个月后，堆肥变成深褐色、带有泥土味，就可以用于花园了。""")
add("t1410", "zh", "sentence", """因为 2006 年国际天文学联合会重新定义了“行星”，要求天体必须清空其轨道附近的其他天体，而冥王星做不到这一点，所以被归为矮行星。""")
add("t1947", "zh", "short", """成功是一座只有山顶才被看见的山。""")
add("r6651", "zh", "short", """斐波那契数列：0、1、1、2、3、5、8""")
add("t1291", "zh", "sentence", """最主要的好处是身心更健康、精力更充沛，同时患慢性病的风险也会大大降低。""")
add("t949", "zh", "long", """他在镜子里看到了自己的倒影……可那张脸却陌生得可怕。眼角多了几道皱纹，鬓角已经斑白。他伸手触摸镜面，镜中的人却没有跟着动，而是慢慢露出了微笑。

“你终于来了，”镜中人低声说，“我已经等了你二十年。”

房间里的灯忽明忽暗。他这才意识到，自己一直在逃避的那个未来，此刻正站在镜子的另一边看着他。""")
add("t571", "zh", "long", """第一乐章（慢板）：低音提琴和定音鼓轻轻滚动，模仿远处的雷声，弦乐奏出压抑的长音，暗示乌云正在聚集。
第二乐章（快板）：铜管突然爆发，象征第一道闪电；小提琴用急促的颤音表现倾盆大雨，打击乐不断加强。
第三乐章（行板）：风暴渐渐退去，木管乐器吹出柔和的旋律，仿佛雨滴从屋檐落下。
终章：竖琴与长笛奏出明亮的大调和弦，阳光重新照耀大地。""")
add("r8153", "zh", "short", """多元汇聚，创新无限；尊重差异，成就团队。""")
add("r7953", "zh", "long", """【主歌】
夜色笼罩城市的街道，
警笛声划破了寂静，
他挺身而出从不退缩，
守护着每一盏灯火。

【副歌】
穿上警服，就是承诺，
无论风雨，我都在这里，
为了正义，为了你，
勇往直前，永不放弃！""")
add("t219", "zh", "short", """《停下来，才能走得更远》""")
add("r7707", "zh", "sentence", """电脑越来越聪明，机器人开始接管一切，AI 还抢走了我们的工作。好消息是：以后开会时再也不用假装很忙了——因为开会的全是 AI！""")
add("r7634", "zh", "short", """共赴此刻，铭记一生！""")

# ---------------- Japanese (10) ----------------
add("t1200", "ja", "sentence", """お誕生日おめでとうございます！あなたにとって素敵な一年になりますように。""")
add("r6644", "ja", "short", """答えは11です。""")
add("t619", "ja", "long", """オンラインショッピングに関するアンケート
1. 月に何回くらいオンラインで買い物をしますか？
2. よく利用するサイトはどこですか？
3. 商品を選ぶ際に最も重視する点は何ですか？（価格・品質・配送スピードなど）
4. 配送について不満を感じたことはありますか？
5. 返品の手続きは簡単でしたか？
6. 全体的な満足度を1〜5で評価してください。""")
add("t82", "ja", "long", """白い砂浜がどこまでも続き、透き通ったエメラルドグリーンの海が穏やかに打ち寄せている。ヤシの木が潮風にそよぎ、遠くの水平線では夕日がゆっくりと沈んでいく。波の音と潮の香りに包まれながら裸足で歩いていると、日々の疲れがすべて溶けていくようだ。""")
add("r7591", "ja", "short", """「モナ・リザ」です。""")
add("t1175", "ja", "sentence", """ギターの音色は、夜風に揺れる木の葉のように優しく心に響いた。""")
add("r7915", "ja", "long", """現代の職場において、テクノロジーは欠かせない存在である。第一に、業務の効率化が挙げられる。クラウドサービスやチャットツールを活用することで、場所を問わず迅速に情報を共有できる。

第二に、テクノロジーはミスを減らし、仕事の質を高める。自動化されたシステムは、人間が繰り返し行う単純作業での誤りを大幅に減らすことができる。

確かに、導入コストやセキュリティ上のリスクを指摘する声もある。しかし、適切な教育と対策を行えば、その利点はリスクをはるかに上回る。以上の理由から、テクノロジーは職場に不可欠であると言える。""")
add("t241", "ja", "short", """虫歯、口臭、歯周病を防ぐためです。""")
add("t60", "ja", "short", """工具、タイヤ、自転車、園芸用品、掃除道具""")
add("r8840", "ja", "sentence", """まずはターゲットとなる顧客層を明確にし、立地と仕入れ先を慎重に選ぶことが大切です。また、開店前からSNSを活用してブランドの認知度を高めておきましょう。""")

# ---------------- Korean (8) ----------------
add("r7768", "ko", "sentence", """머신러닝은 컴퓨터가 명시적으로 프로그래밍되지 않아도 데이터로부터 패턴을 학습하여 예측이나 결정을 내릴 수 있게 하는 인공지능의 한 분야입니다.""")
add("t25", "ko", "short", """통밀빵, 달걀, 그릭 요거트, 바나나, 오트밀""")
add("t1263", "ko", "long", """이 가설은 대체로 타당하다고 볼 수 있습니다. 여러 연구에 따르면 사람의 뇌는 실제로 여러 작업을 동시에 처리하는 것이 아니라 작업 사이를 빠르게 전환하는데, 이 과정에서 집중력이 떨어지고 실수가 늘어납니다. 예를 들어 이메일을 확인하면서 보고서를 작성하면 두 작업 모두 완료 시간이 길어지는 경향이 있습니다.

다만 음악을 들으며 걷는 것처럼 단순하고 익숙한 작업의 경우에는 생산성에 큰 영향을 주지 않을 수도 있습니다. 따라서 이 가설은 복잡한 인지 작업에 한해 특히 설득력이 있다고 평가할 수 있습니다.""")
add("t155", "ko", "short", """스케치, 피그마, 포토샵, 일러스트레이터, 인비전""")
add("t673", "ko", "short", """통신 두절, 잘못된 정보, 적의 기만, 악천후, 피로""")
add("t510", "ko", "short", """지구를 위한 작은 습관, 쓰레기 줄이기""")
add("t132", "ko", "sentence", """불편을 드려 정말 죄송합니다. 브라우저의 캐시와 쿠키를 삭제한 뒤 다시 로그인해 보시고, 그래도 안 되면 가입하신 이메일 주소를 알려주시면 계정 상태를 바로 확인해 드리겠습니다.""")
add("r6662", "ko", "long", """요리 이름: 마늘 감자 양파 구이

1. 오븐을 200도로 예열합니다.
2. 감자와 양파를 한입 크기로 자르고, 마늘은 다집니다.
3. 볼에 모든 재료를 넣고 올리브유, 소금, 후추를 뿌려 잘 섞습니다.
4. 오븐 팬에 펼쳐 담고 30~35분간 노릇하게 굽습니다.
5. 중간에 한 번 뒤적여 주면 골고루 익습니다.""")

# ---------------- Russian (12) ----------------
add("t1887", "ru", "short", """4 км — это примерно 2,49 мили.""")
add("t751", "ru", "short", """С днём рождения! Всего самого наилучшего!""")
add("r8940", "ru", "short", """Ты как?""")
add("t110", "ru", "long", """1. Сделать скворечник из старых досок.
2. Собрать книжную полку из деревянных ящиков.
3. Перекрасить старый комод.
4. Сделать подвесные кашпо для растений.
5. Выложить садовую дорожку из камней.
6. Смастерить светильник из стеклянной банки.
7. Сшить декоративные подушки.
8. Сделать доску для заметок из пробки.
9. Построить грядку-короб на даче.
10. Оформить фотостену с гирляндой.""")
add("r6075", "ru", "long", """Франклин только что окончил ветеринарный колледж и с нетерпением ждал первого рабочего дня. Ему казалось, что он готов ко всему: он знал анатомию, фармакологию и умел успокоить даже самую испуганную кошку.

Но уже в первую неделю всё пошло не так. Собака укусила его за руку, хозяин попугая накричал на него из-за счёта, а ночью пришлось принимать роды у коровы под проливным дождём. Франклин вернулся домой без сил и впервые задумался, правильный ли выбор он сделал.

Утром ему позвонила пожилая женщина, чью кошку он спас накануне. «Спасибо, доктор», — сказала она дрожащим голосом. И Франклин понял: ради таких моментов стоит терпеть всё остальное.""")
add("t1566", "ru", "long", """План оздоровления для будущих мам:
1. Питание: сбалансированный рацион с достаточным количеством фолиевой кислоты, железа и кальция.
2. Физическая активность: ежедневные прогулки, йога или плавание для беременных (по согласованию с врачом).
3. Сон: не менее 8 часов, дневной отдых при необходимости.
4. Психологическое здоровье: курсы для будущих родителей, поддержка близких, дыхательные упражнения.
5. Медицинское наблюдение: регулярные визиты к гинекологу и плановые УЗИ.""")
add("t52", "ru", "sentence", """Жизнь — это долгая дорога через горы: порой подъём даётся тяжело, но именно с вершины открывается самый красивый вид.""")
add("r7586", "ru", "sentence", """Эта цитата напоминает, что ценность поступка определяется не его масштабом, а любовью, с которой он совершён. Даже маленькое доброе дело может изменить чью-то жизнь.""")
add("t744", "ru", "sentence", """Можно устроить соревнование между соседними домами: дом, который за месяц сильнее всех сократит потребление электроэнергии, получает скидку на коммунальные услуги.""")
add("t251", "ru", "long", """Джон каждое утро заходил в маленькое кафе на углу, заказывал чёрный кофе и садился у окна. Однажды за соседним столиком оказалась Анна — она что-то рисовала в потрёпанном блокноте. Когда у неё закончились чернила, Джон молча протянул ей свою ручку.

С тех пор они встречались там каждое утро. Они говорили о книгах, о путешествиях, о мечтах, которые так и не решились осуществить. Через год, в том же кафе, за тем же столиком, Джон протянул Анне уже не ручку, а маленькую коробочку с кольцом.""")
add("t978", "ru", "long", """Виктор Левин, генеральный директор международной корпорации «Северный мост», привык к тому, что его день расписан по минутам. Но в то утро, когда его самолёт приземлился в Сингапуре, на телефон пришло короткое сообщение без подписи: «Совет директоров против вас. Не доверяйте никому».

Виктор убрал телефон в карман, поправил галстук и впервые за двадцать лет почувствовал, что не знает, что будет дальше.""")
add("t858", "ru", "long", """Социальные сети могут быть полезным инструментом для обучения. Во-первых, они дают доступ к огромному количеству образовательного контента: лекциям, статьям и видеоурокам от экспертов со всего мира. Во-вторых, они позволяют студентам объединяться в группы, обсуждать сложные темы и помогать друг другу. В-третьих, преподаватели могут использовать соцсети для быстрой обратной связи и публикации материалов.

Конечно, информацию важно оценивать критически, но при разумном использовании социальные сети значительно расширяют возможности обучения.""")

# ---------------- Spanish (10) ----------------
add("r9038", "es", "short", """La capital de Noruega es Oslo.""")
add("r9007", "es", "long", """El iPhone 11 y el Google Pixel 4 son dos teléfonos de gama alta, pero con enfoques distintos.

- Pantalla: el iPhone 11 tiene una pantalla LCD de 6,1 pulgadas, mientras que el Pixel 4 ofrece una pantalla OLED de 5,7 pulgadas a 90 Hz.
- Cámara: el iPhone 11 incluye gran angular y ultra gran angular; el Pixel 4 apuesta por un teleobjetivo y un excelente procesamiento de imagen.
- Batería: el iPhone 11 ofrece una autonomía claramente superior.
- Sistema: iOS frente a Android puro con actualizaciones rápidas.

En resumen, el iPhone 11 gana en batería y el Pixel 4 destaca en fotografía.""")
add("r7927", "es", "short", """Aproximadamente 34,4 grados Celsius.""")
add("r7017", "es", "short", """El precio del producto era bastante razonable.""")
add("t1082", "es", "long", """Guía de estilo corporativa

1. Logotipo: usar siempre la versión oficial, sin deformarla ni cambiar sus colores.
2. Tipografía: Montserrat para títulos y Open Sans para el cuerpo del texto.
3. Colores: azul corporativo (#004A99) como color principal y gris claro como secundario.
4. Tono: cercano, claro y profesional; evitar la jerga innecesaria.
5. Imágenes: fotografías reales, luminosas y con personas diversas.""")
add("t1982", "es", "sentence", """Para tener un canal de YouTube exitoso necesitas contenido original y constante, buena calidad de audio y vídeo y, sobre todo, interactuar con tu audiencia para construir una comunidad fiel.""")
add("t1574", "es", "short", """Cómo dejar tus joyas de plata como nuevas""")
add("r6508", "es", "sentence", """Comer en un restaurante ofrece variedad y comodidad, pero suele ser más caro; comer en casa es más económico y saludable, aunque requiere tiempo para cocinar y limpiar.""")
add("t1272", "es", "long", """Cliente: Hola, quiero saber más sobre el nuevo iPhone.
Chatbot: ¡Hola! Con gusto te ayudo. ¿Te interesa algún modelo en particular?
Cliente: El modelo básico. ¿Cuánto cuesta?
Chatbot: El precio empieza en 799 dólares para la versión de 128 GB.
Cliente: ¿Y en qué colores está disponible?
Chatbot: En negro, blanco, azul, rosa y amarillo. ¿Quieres que te ayude a reservar uno?""")
add("r9225", "es", "sentence", """Por ejemplo, al enseñar fracciones por primera vez conviene hacer pequeños cuestionarios durante la unidad para detectar a tiempo qué alumnos no entienden el concepto, en lugar de esperar al examen final.""")

# ---------------- French (10) ----------------
add("t1343", "fr", "short", """Changement climatique, déforestation, pollution, surpêche, érosion des sols.""")
add("t149", "fr", "short", """Plus de légumes, moins de sucre, beaucoup d'eau.""")
add("r6013", "fr", "short", """Internet < apprentissage automatique < Internet des objets""")
add("r8062", "fr", "sentence", """L'impression 3D consiste à fabriquer un objet couche par couche à partir d'un modèle numérique, en déposant ou en solidifiant successivement un matériau comme le plastique, la résine ou le métal.""")
add("t1764", "fr", "sentence", """Organisez une course de canards en plastique sur une rivière locale : chaque participant achète un canard numéroté, et le propriétaire du premier canard à franchir la ligne d'arrivée gagne un lot.""")
add("t1136", "fr", "long", """1. Se coucher et se lever à la même heure chaque jour.
2. Éviter la caféine après 14 heures.
3. Éteindre les écrans une heure avant de dormir.
4. Garder la chambre fraîche, sombre et calme.
5. Éviter les repas copieux le soir.
6. Faire de l'exercice régulièrement, mais pas juste avant le coucher.
7. Instaurer un rituel relaxant, comme la lecture ou un bain chaud.
8. Limiter les siestes à 20 minutes.
9. Choisir un matelas et un oreiller confortables.
10. Noter ses soucis sur papier pour libérer son esprit.""")
add("t1267", "fr", "long", """Bonjour à tous. Aujourd'hui, j'aimerais vous parler de l'importance du recyclage.

Chaque année, nous produisons des millions de tonnes de déchets, dont une grande partie finit dans des décharges ou dans les océans. Le recyclage permet de réduire ce volume, d'économiser des matières premières et de diminuer les émissions de gaz à effet de serre.

Par exemple, recycler une seule canette en aluminium permet d'économiser assez d'énergie pour faire fonctionner une télévision pendant trois heures.

Alors, que pouvons-nous faire ? Trier nos déchets, choisir des produits recyclables et sensibiliser notre entourage. Ce sont de petits gestes, mais ensemble, ils font une énorme différence. Merci de votre attention.""")
add("r8113", "fr", "sentence", """Candy Chang est une artiste qui crée des installations publiques invitant les passants à partager leurs pensées et leurs espoirs.""")
add("t1892", "fr", "long", """1. Tabac Info Service (tabac-info-service.fr) : conseils et accompagnement gratuits par des tabacologues.
2. Smokefree.gov : programmes et applications pour arrêter de fumer.
3. Le site de l'OMS sur le tabagisme : informations et données de santé.
4. Stop-tabac.ch : tests et guides personnalisés.
5. Les forums de soutien de la Ligue contre le cancer.""")
add("t958", "fr", "sentence", """Je sais que c'est une période difficile, mais tu es plus fort que tu ne le crois. Je suis là pour toi, quoi qu'il arrive.""")

# ---------------- German (8) ----------------
add("r8897", "de", "short", """Das sind ungefähr 3,1 Meilen pro Stunde.""")
add("t1240", "de", "long", """Wenn Sie online bedroht werden, sollten Sie:
1. Nicht auf die Drohung reagieren.
2. Beweise sichern – Screenshots von Nachrichten und Profilen machen.
3. Die Person blockieren und bei der Plattform melden.
4. Vertrauenspersonen informieren.
5. Bei ernsthaften Drohungen Anzeige bei der Polizei erstatten.""")
add("r7616", "de", "sentence", """Ein bekanntes Beispiel ist die Wettervorhersage: Schon winzige Unterschiede in den Anfangsbedingungen können dazu führen, dass sich das Wetter nach einigen Tagen völlig anders entwickelt.""")
add("r6715", "de", "short", """Künstliche Intelligenz, Quantencomputer, Biotechnologie.""")
add("t56", "de", "long", """Es war kurz vor Mitternacht, als Lena den verlassenen Bahnhof erreichte. Der letzte Zug war längst abgefahren, und nur eine flackernde Lampe erhellte den Bahnsteig. Plötzlich hörte sie eine leise Melodie – ein Fremder saß auf einer Bank und spielte Flöte.

„Sie haben den Zug verpasst“, sagte er, ohne aufzusehen. „Ich auch. Schon vor vierzig Jahren.“ Lena wollte etwas erwidern, doch in diesem Moment fuhr ein alter Dampfzug ein, der in keinem Fahrplan stand. Der Fremde stand auf, steckte die Flöte ein und lächelte: „Kommen Sie?“""")
add("t886", "de", "long", """Die Benutzeroberfläche besteht aus folgenden Elementen:
- Ein Suchfeld oben auf der Seite, in das Nutzer ein oder mehrere Stichwörter eingeben können.
- Filteroptionen für Datum, Quelle und Kategorie (z. B. Politik, Sport, Wirtschaft).
- Eine Ergebnisliste mit Überschrift, kurzer Vorschau, Quelle und Veröffentlichungsdatum.
- Eine Sortierfunktion nach Relevanz oder Aktualität.
- Die Möglichkeit, Suchanfragen zu speichern und bei neuen Artikeln benachrichtigt zu werden.""")
add("t1919", "de", "sentence", """Bei Regen und etwa 10 °C sollten Sie unbedingt Regenkleidung, warme Schichten, ein wasserdichtes Zelt, einen warmen Schlafsack und trockene Wechselkleidung mitnehmen.""")
add("t1545", "de", "sentence", """Zelt, Schlafsäcke, Isomatten, Campingkocher, Geschirr, Taschenlampen, Erste-Hilfe-Set, Regenkleidung, Kühlbox und Mückenschutz.""")

# ---------------- Others (12) ----------------
add("r7929", "pl", "sentence", """Trend to ogólny kierunek, w którym coś się rozwija lub zmienia w określonym czasie, na przykład w modzie, gospodarce czy technologii.""")
add("t808", "pt", "long", """Fiz várias compras na Amazon recentemente e a experiência foi muito positiva. O site é fácil de navegar, a busca funciona bem e há uma enorme variedade de produtos com preços competitivos.

As avaliações de outros clientes ajudam bastante na hora de escolher, e o processo de pagamento é rápido e seguro. A entrega chegou antes do prazo previsto. O único ponto negativo é que, às vezes, há tantas opções que fica difícil comparar produtos parecidos. Nota: 4,5 de 5.""")
add("r7263", "vi", "short", """Đồng Yên Nhật (JPY).""")
add("t297", "hi", "long", """प्रिय विद्यार्थियों, सम्मानित शिक्षकगण और अभिभावकों,

आज का दिन आप सभी के लिए बहुत खास है। वर्षों की मेहनत, लगन और संघर्ष के बाद आप इस मुकाम तक पहुँचे हैं। मैं आप सभी को हार्दिक बधाई देता हूँ।

याद रखिए, यह अंत नहीं बल्कि एक नई शुरुआत है। जीवन में कई चुनौतियाँ आएँगी, लेकिन जो ज्ञान और मूल्य आपने यहाँ सीखे हैं, वे हमेशा आपका मार्गदर्शन करेंगे। अपने सपनों का पीछा कीजिए और कभी हार मत मानिए।

एक बार फिर, आप सभी को उज्ज्वल भविष्य के लिए शुभकामनाएँ!""")
add("t1674", "tr", "long", """Sosyal Medya Yönetim Aracı için tanıtım planı:
1. Hedef kitleyi belirleyin: küçük işletmeler, ajanslar ve içerik üreticileri.
2. Lansmandan önce ücretsiz deneme sürümü sunun ve ilk kullanıcılardan geri bildirim toplayın.
3. Instagram, LinkedIn ve YouTube'da eğitici içerikler ve kısa tanıtım videoları yayınlayın.
4. Sektördeki etkileyicilerle iş birliği yapın.
5. Web seminerleri düzenleyerek ürünün özelliklerini canlı olarak gösterin.
6. Başarıyı ölçmek için kayıt sayısını, dönüşüm oranını ve müşteri memnuniyetini takip edin.""")
add("t1122", "ar", "sentence", """يسرّنا دعوتكم لحضور اجتماع مجلس الإدارة يوم الثلاثاء الموافق 12 نوفمبر في تمام الساعة التاسعة صباحًا، وذلك لمناقشة خطط الربع القادم.""")
add("r7352", "nl", "long", """1. V: Wat is cognitieve psychologie?
   A: De tak van de psychologie die onderzoekt hoe mensen denken, leren en onthouden.
2. V: Wat is klassieke conditionering?
   A: Een leerproces waarbij een neutrale prikkel gekoppeld wordt aan een automatische reactie, zoals bij de honden van Pavlov.
3. V: Wat is cognitieve dissonantie?
   A: Het ongemakkelijke gevoel dat ontstaat wanneer iemand tegenstrijdige overtuigingen heeft.
4. V: Wat doet een klinisch psycholoog?
   A: Hij of zij stelt psychische problemen vast en behandelt ze.
5. V: Wat is de piramide van Maslow?
   A: Een model dat menselijke behoeften rangschikt, van basale lichamelijke behoeften tot zelfontplooiing.""")
add("r9190", "it", "sentence", """La liquirizia ha un sapore dolce e leggermente amaro, con intense note di anice e un retrogusto quasi salato.""")
add("t156", "tr", "short", """Faydaları neler? Neden popüler? Riskleri var mı?""")
add("r7419", "nl", "sentence", """Hiervoor kun je het beste Git gebruiken voor lokaal versiebeheer, gecombineerd met een platform als GitHub of GitLab voor webgebaseerde hosting en automatische synchronisatie tussen gebruikers.""")
add("t279", "pt", "long", """1. Experimentos ao vivo sobre ilusões de ótica.
2. Testes rápidos de memória com prêmios.
3. Uma palestra curta sobre como o cérebro toma decisões.
4. Jogo de perguntas e respostas sobre mitos da psicologia.
5. Estação de "leitura de emoções" com fotos de rostos.
6. Demonstração do efeito Stroop.
7. Conversa com estudantes de psicologia sobre a carreira.
8. Oficina de técnicas de relaxamento e mindfulness.
9. Mural interativo onde os visitantes escrevem o que os deixa felizes.
10. Exibição de vídeos curtos sobre experimentos clássicos.""")
add("r8048", "it", "long", """Traccia della storia:
1. Un'astronave precipita di notte in un parco cittadino.
2. Un piccolo alieno esce dalla navicella e si nasconde vicino al fiume.
3. Una bambina lo trova e scopre che l'alieno sta cercando un diamante speciale, l'unica fonte di energia in grado di riparare l'astronave.
4. Insieme seguono gli indizi lungo il fiume e trovano il diamante sul fondale.
5. L'alieno ripara l'astronave, saluta la bambina e le lascia in ricordo un frammento luminoso del diamante.""")
